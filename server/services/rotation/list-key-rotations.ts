import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { RotationsListEntrySchema } from "../../../gen/kms/v1/rotation_pb.js";
import { ExpirationModelType, ImportState, IncludeKeyMaterial, KeyMaterialState, RotationType } from "../../../gen/kms/v1/types_pb.js";
import { keyScope, requireServices, type KeyScope } from "../../context.js";
import { importedMaterialsOf } from "../../domain/imported-materials.js";
import type { KeyRecord } from "../../domain/key-record.js";
import type { Region } from "../../domain/region.js";
import { decodeMarker, toPage } from "../../domain/pagination.js";
import { listLimit } from "../../domain/validation.js";
import { KmsError } from "../../errors/kms-error.js";
import type { KmsHandlers } from "../handler-types.js";
import { enumValue } from "../proto-enum.js";
import { copiesOf } from "../multi-region/multi-region-keys.js";
import { resolveKeyByIdOrArn } from "../resolve-key.js";
import { requireRotatingKind } from "./key-rotation.js";

type Entry = MessageInitShape<typeof RotationsListEntrySchema>;
/** One key material in version order; `rotated` when a rotation made it (the others are listed only with ALL_KEY_MATERIAL). */
type Listed = { readonly version: number; readonly rotated: boolean; readonly entry: Entry };

/**
 * ListKeyRotations: the key materials of a key in version order. By default (ROTATIONS_ONLY) those
 * that rotations made current; with ALL_KEY_MATERIAL also the first one and, for imported
 * material, one pending rotation. Imported material also shows its import state and expiry.
 */
export const listKeyRotations: KmsHandlers["listKeyRotations"] = async (req, ctx) => {
  const scope = keyScope(ctx);
  const { key, arn } = await resolveKeyByIdOrArn(scope, req.keyId);
  // A replica's materials too: its operator imports them by key_material_id.
  requireRotatingKind(key, arn, "on demand");
  const limit = listLimit(req.limit);
  const marker = decodeMarker("rotations", req.marker) ?? "0";
  if (!/^\d+$/.test(marker)) throw new KmsError("InvalidMarkerException", "marker was not returned by this listing");
  const after = Number(marker);
  const all = req.includeKeyMaterial === IncludeKeyMaterial.ALL_KEY_MATERIAL;
  const materials = key.origin === "EXTERNAL" ? importedMaterials(key, await missingElsewhere(requireServices(ctx).regions, key)) : await generatedMaterials(scope, key);
  const listed = materials.filter((m) => m.version > after && (all || m.rotated));
  const page = toPage("rotations", listed.slice(0, limit + 1), limit, (m) => String(m.version));
  return { rotations: page.items.map((m) => m.entry), nextMarker: page.nextMarker, truncated: page.truncated };
};

async function generatedMaterials(scope: KeyScope, key: KeyRecord): Promise<Listed[]> {
  return (await scope.region.keyring.listVersions(key.keyId)).map((v) => ({
    version: v.version,
    rotated: v.rotationType !== undefined,
    entry: {
      keyId: key.keyId,
      keyMaterialId: v.keyMaterialId,
      keyMaterialState: v.version === key.currentVersion ? KeyMaterialState.CURRENT : KeyMaterialState.NON_CURRENT,
      ...(v.rotationType !== undefined ? { rotationDate: timestampFromMs(v.createdAt), rotationType: v.rotationType === "AUTOMATIC" ? RotationType.AUTOMATIC : RotationType.ON_DEMAND } : {}),
    },
  }));
}

/** The versions of a multi-Region key that another region's copy does not hold yet (this copy's own lack shows as its import state). */
async function missingElsewhere(regions: ReadonlyMap<string, Region>, key: KeyRecord): Promise<ReadonlySet<number>> {
  if (!key.multiRegion) return new Set();
  const copies = (await copiesOf(regions, key)).filter((c) => c.region.name !== key.region);
  return new Set(copies.flatMap((c) => importedMaterialsOf(c.key).filter((m) => !m.imported).map((m) => m.version)));
}

/** Imported materials; one pending rotation that some region lacks is PENDING_MULTI_REGION_IMPORT_AND_ROTATION, as AWS lists it. */
function importedMaterials(key: KeyRecord, missing: ReadonlySet<number>): Listed[] {
  return [...importedMaterialsOf(key)]
    .sort((a, b) => a.version - b.version)
    .map((m) => ({
      version: m.version,
      rotated: m.rotationDate !== undefined,
      entry: {
        keyId: key.keyId,
        keyMaterialId: m.keyMaterialId,
        keyMaterialDescription: m.description ?? "",
        importState: m.imported ? ImportState.IMPORTED : ImportState.PENDING_IMPORT,
        keyMaterialState: m.state === "PENDING_ROTATION" && missing.has(m.version) ? KeyMaterialState.PENDING_MULTI_REGION_IMPORT_AND_ROTATION : enumValue(KeyMaterialState, m.state),
        expirationModel: enumValue(ExpirationModelType, m.expirationModel),
        ...(m.validTo !== undefined ? { validTo: timestampFromMs(m.validTo) } : {}),
        ...(m.rotationDate !== undefined ? { rotationDate: timestampFromMs(m.rotationDate), rotationType: RotationType.ON_DEMAND } : {}),
      },
    }));
}
