import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { WrappingKeySpec } from "../../../gen/kms/v1/types_pb.js";
import { KmsError } from "../../errors/kms-error.js";

const generateKeyPairAsync = promisify(generateKeyPair);

/** The RSA wrapping key pair of one GetParametersForImport: the public half goes to the caller, the private half into the import token. */
export interface WrappingKeyPair {
  readonly privateKeyPkcs8Der: Buffer;
  readonly publicKeySpkiDer: Buffer;
}

const modulusBits: ReadonlyMap<WrappingKeySpec, number> = new Map([
  [WrappingKeySpec.RSA_2048, 2048],
  [WrappingKeySpec.RSA_3072, 3072],
  [WrappingKeySpec.RSA_4096, 4096],
]);

/**
 * The RSA modulus size of a wrapping key spec. SM2 wrapping keys exist only in AWS China
 * Regions (UnsupportedOperationException, as for SM2 key specs); anything else is a
 * ValidationException.
 */
export function wrappingKeyModulusBits(spec: WrappingKeySpec): number {
  const bits = modulusBits.get(spec);
  if (bits !== undefined) return bits;
  if (spec === WrappingKeySpec.SM2) throw new KmsError("UnsupportedOperationException", "SM2 wrapping keys are offered only in AWS China Regions; this server does not support them");
  throw new KmsError("ValidationException", `WrappingKeySpec ${WrappingKeySpec[spec] ?? spec} is not valid; use RSA_2048, RSA_3072 or RSA_4096`);
}

/**
 * A fresh RSA wrapping key pair (public exponent 65537), generated on libuv's thread pool:
 * RSA-4096 takes up to seconds and must not stall the event loop. A new pair per call, as AWS
 * gives one per GetParametersForImport.
 */
export async function generateWrappingKeyPair(spec: WrappingKeySpec): Promise<WrappingKeyPair> {
  const { publicKey, privateKey } = await generateKeyPairAsync("rsa", {
    modulusLength: wrappingKeyModulusBits(spec),
    publicExponent: 0x10001,
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  return { privateKeyPkcs8Der: privateKey, publicKeySpkiDer: publicKey };
}
