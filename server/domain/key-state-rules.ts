import { KmsError } from "../errors/kms-error.js";
import type { KeyRecord, KeyStateName } from "./key-record.js";

/** The phrase AWS uses for each state in KMSInvalidStateException messages. */
const statePhrase: Record<KeyStateName, string> = {
  Creating: "being created",
  Enabled: "enabled",
  Disabled: "disabled",
  PendingDeletion: "pending deletion",
  PendingImport: "pending import",
  PendingReplicaDeletion: "pending replica deletion",
  Unavailable: "unavailable",
  Updating: "being updated",
};

/**
 * A key used for cryptography, and for CreateGrant, ReplicateKey and UpdatePrimaryRegion, must be
 * Enabled: a disabled key is DisabledException, every other state KMSInvalidStateException, as
 * AWS's key-state table has it. That holds for both keys of a ReEncrypt: the table gives its
 * source no exemption (the "source pending deletion succeeds" footnote is UpdateAlias's), and a
 * key pending deletion "can't be used in any cryptographic operations".
 */
export function requireEnabled(key: KeyRecord, arn: string): void {
  if (key.keyState === "Enabled") return;
  if (key.keyState === "Disabled") throw new KmsError("DisabledException", `${arn} is disabled.`);
  throw invalidState(key, arn);
}

/** Refuses a management operation unless the key is in one of the allowed states. */
export function requireState(key: KeyRecord, arn: string, allowed: readonly KeyStateName[]): void {
  if (!allowed.includes(key.keyState)) throw invalidState(key, arn);
}

function invalidState(key: KeyRecord, arn: string): KmsError {
  return new KmsError("KMSInvalidStateException", `${arn} is ${statePhrase[key.keyState]}.`);
}

/** Symmetric encryption operations need a SYMMETRIC_DEFAULT key with usage ENCRYPT_DECRYPT. */
export function requireSymmetricEncryptionKey(key: KeyRecord, arn: string): void {
  if (key.keySpec !== "SYMMETRIC_DEFAULT" || key.keyUsage !== "ENCRYPT_DECRYPT") {
    throw new KmsError("InvalidKeyUsageException", `${arn} is a ${key.keySpec} key with usage ${key.keyUsage}; this operation needs a symmetric encryption key.`);
  }
}
