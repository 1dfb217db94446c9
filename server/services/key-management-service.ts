import { createGrant } from "./grants/create-grant.js";
import { listGrants, listRetirableGrants } from "./grants/list-grants.js";
import { retireGrant } from "./grants/retire-grant.js";
import { revokeGrant } from "./grants/revoke-grant.js";
import type { KmsHandlers } from "./handler-types.js";
import { cancelKeyDeletion } from "./handlers/cancel-key-deletion.js";
import { createAlias } from "./handlers/create-alias.js";
import { createKey } from "./handlers/create-key.js";
import { decrypt } from "./handlers/decrypt.js";
import { deleteAlias } from "./handlers/delete-alias.js";
import { describeKey } from "./handlers/describe-key.js";
import { getKeyLastUsage } from "./handlers/get-key-last-usage.js";
import { deleteImportedKeyMaterial } from "./import/delete-imported-key-material.js";
import { getParametersForImport } from "./import/get-parameters-for-import.js";
import { importKeyMaterial } from "./import/import-key-material.js";
import { replicateKey } from "./multi-region/replicate-key.js";
import { updatePrimaryRegion } from "./multi-region/update-primary-region.js";
import { disableKeyRotation } from "./rotation/disable-key-rotation.js";
import { enableKeyRotation } from "./rotation/enable-key-rotation.js";
import { getKeyRotationStatus } from "./rotation/get-key-rotation-status.js";
import { listKeyRotations } from "./rotation/list-key-rotations.js";
import { rotateKeyOnDemand } from "./rotation/rotate-key-on-demand.js";
import { listResourceTags } from "./tags/list-resource-tags.js";
import { tagResource } from "./tags/tag-resource.js";
import { untagResource } from "./tags/untag-resource.js";
import { deriveSharedSecret } from "./handlers/derive-shared-secret.js";
import { decapsulate } from "./handlers/decapsulate.js";
import { encapsulate } from "./handlers/encapsulate.js";
import { generateDataKeyPair } from "./handlers/generate-data-key-pair.js";
import { generateDataKeyPairWithoutPlaintext } from "./handlers/generate-data-key-pair-without-plaintext.js";
import { generateMac } from "./handlers/generate-mac.js";
import { getPublicKey } from "./handlers/get-public-key.js";
import { sign } from "./handlers/sign.js";
import { verify } from "./handlers/verify.js";
import { verifyMac } from "./handlers/verify-mac.js";
import { disableKey } from "./handlers/disable-key.js";
import { enableKey } from "./handlers/enable-key.js";
import { encrypt } from "./handlers/encrypt.js";
import { generateDataKey } from "./handlers/generate-data-key.js";
import { generateDataKeyWithoutPlaintext } from "./handlers/generate-data-key-without-plaintext.js";
import { generateRandom } from "./handlers/generate-random.js";
import { getKeyPolicy, listKeyPolicies, putKeyPolicy } from "./handlers/key-policies.js";
import { listAliases } from "./handlers/list-aliases.js";
import { listKeys } from "./handlers/list-keys.js";
import { reEncrypt } from "./handlers/re-encrypt.js";
import { scheduleKeyDeletion } from "./handlers/schedule-key-deletion.js";
import { updateAlias } from "./handlers/update-alias.js";
import { updateKeyDescription } from "./handlers/update-key-description.js";

/**
 * The implemented RPCs. Connect answers every other RPC of the contract with UNIMPLEMENTED,
 * which the error mapping marks UnsupportedOperationException.
 */
export const keyManagementService: Partial<KmsHandlers> = {
  createKey,
  describeKey,
  listKeys,
  enableKey,
  disableKey,
  updateKeyDescription,
  scheduleKeyDeletion,
  cancelKeyDeletion,
  encrypt,
  decrypt,
  reEncrypt,
  generateDataKey,
  generateDataKeyWithoutPlaintext,
  generateRandom,
  generateDataKeyPair,
  generateDataKeyPairWithoutPlaintext,
  sign,
  verify,
  getPublicKey,
  generateMac,
  verifyMac,
  deriveSharedSecret,
  encapsulate,
  decapsulate,
  createAlias,
  updateAlias,
  deleteAlias,
  listAliases,
  getKeyPolicy,
  putKeyPolicy,
  listKeyPolicies,
  createGrant,
  listGrants,
  listRetirableGrants,
  retireGrant,
  revokeGrant,
  tagResource,
  untagResource,
  listResourceTags,
  enableKeyRotation,
  disableKeyRotation,
  getKeyRotationStatus,
  rotateKeyOnDemand,
  listKeyRotations,
  replicateKey,
  updatePrimaryRegion,
  getParametersForImport,
  importKeyMaterial,
  deleteImportedKeyMaterial,
  getKeyLastUsage,
};
