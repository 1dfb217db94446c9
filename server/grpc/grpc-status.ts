import { toBinary, type DescMessage } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { ConnectError } from "@connectrpc/connect";

/**
 * The grpc-status-details-bin trailer: a google.rpc.Status with the error's details as Any
 * messages, which gRPC clients (and Connect's) decode into typed details.
 */
export function encodeStatusDetails(error: ConnectError): string {
  const writer = new BinaryWriter();
  writer.tag(1, WireType.Varint).int32(error.code);
  writer.tag(2, WireType.LengthDelimited).string(error.rawMessage);
  for (const detail of error.details) {
    const [typeName, value] =
      "desc" in detail ? [detail.desc.typeName, toBinary(detail.desc as DescMessage, detail.value as never)] : [detail.type, detail.value];
    writer.tag(3, WireType.LengthDelimited).fork();
    writer.tag(1, WireType.LengthDelimited).string(`type.googleapis.com/${typeName}`);
    writer.tag(2, WireType.LengthDelimited).bytes(value);
    writer.join();
  }
  return Buffer.from(writer.finish()).toString("base64");
}

/** grpc-message is percent-encoded (gRPC over HTTP/2, "Status-Message"). */
export function encodeGrpcMessage(message: string): string {
  return encodeURIComponent(message);
}
