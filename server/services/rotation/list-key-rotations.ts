import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RotationType } from "../../../gen/kms/v1/types_pb.js";
import { keyScope } from "../../context.js";
import { decodeMarker, toPage } from "../../domain/pagination.js";
import { listLimit } from "../../domain/validation.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";
import { requireRotatable } from "./key-rotation.js";

/** ListKeyRotations: the completed rotations of a key, oldest first: date, kind and material id. */
export const listKeyRotations: KmsHandlers["listKeyRotations"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { key, arn } = await resolveKeyByIdOrArn(scope, req.keyId);
  requireRotatable(key, arn);
  const limit = listLimit(req.limit);
  const marker = decodeMarker("rotations", req.marker) ?? "1";
  if (!/^\d+$/.test(marker)) throw new KmsError("InvalidMarkerException", "marker was not returned by this listing");
  const after = Number(marker);
  const rotations = (await scope.region.keyring.listVersions(key.keyId)).filter((v) => v.version > after && v.rotationType !== undefined);
  const page = toPage("rotations", rotations.slice(0, limit + 1), limit, (v) => String(v.version));
  return {
    rotations: page.items.map((v) => ({
      keyId: key.keyId,
      keyMaterialId: v.keyMaterialId,
      rotationDate: timestampFromMs(v.createdAt),
      rotationType: v.rotationType === "AUTOMATIC" ? RotationType.AUTOMATIC : RotationType.ON_DEMAND,
    })),
    nextMarker: page.nextMarker,
    truncated: page.truncated,
  };
};
