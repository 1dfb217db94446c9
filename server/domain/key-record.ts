/** AWS key state names, as AWS spells them. */
export type KeyStateName =
  | "Creating" | "Enabled" | "Disabled" | "PendingDeletion" | "PendingImport" | "PendingReplicaDeletion" | "Unavailable" | "Updating";

/** A tag as stored. */
export interface TagRecord {
  readonly key: string;
  readonly value: string;
}

/**
 * A key as the keyring stores it: metadata only. Key material lives in KeyVersionRecords,
 * wrapped under the root key. Enum-like fields hold the AWS names (SYMMETRIC_DEFAULT, ...).
 */
export interface KeyRecord {
  readonly keyId: string;
  readonly accountId: string;
  readonly region: string;
  readonly creationDate: number;
  readonly description: string;
  readonly keySpec: string;
  readonly keyUsage: string;
  readonly origin: string;
  readonly keyManager: "CUSTOMER" | "AWS";
  readonly keyState: KeyStateName;
  readonly deletionDate?: number;
  readonly pendingWindowInDays?: number;
  readonly multiRegion: boolean;
  /** The version that encrypts new ciphertexts. */
  readonly currentVersion: number;
  /** The key_material_id of the current version, kept here so DescribeKey needs one read. */
  readonly currentKeyMaterialId: string;
  readonly policy: string;
  /** The unique ids of the users and roles the policy named when it was saved (PrincipalIds). */
  readonly policyPrincipalIds?: Readonly<Record<string, string>>;
  readonly tags: readonly TagRecord[];
  /** Asymmetric keys: the public key as DER SubjectPublicKeyInfo (base64); public, so kept in the clear. */
  readonly publicKey?: string;
  /** Automatic rotation: on or off, its period, and the date of the next rotation while on. */
  readonly rotation?: { readonly enabled: boolean; readonly periodDays: number; readonly nextRotationDate?: number };
  /** A multi-Region key's role in this region; the other regions' copies say theirs. */
  readonly multiRegionType?: "PRIMARY" | "REPLICA";
  /** How many on-demand rotations the key has had (AWS allows 25). */
  readonly onDemandRotations?: number;
  /**
   * Imported (EXTERNAL) keys: every key material associated with the key (see
   * importedMaterialsOf, which also reads the single-material fields below of older records).
   */
  readonly importedMaterials?: readonly ImportedMaterialRecord[];
  /** Older records of imported keys: whether the one material expires, and when. */
  readonly expirationModel?: ExpirationModel;
  readonly validTo?: number;
  /** Older records of imported keys: the keyed fingerprint of the one material (its key_material_id). */
  readonly importedMaterialFingerprint?: string;
}

export type ExpirationModel = "KEY_MATERIAL_EXPIRES" | "KEY_MATERIAL_DOES_NOT_EXPIRE";

/**
 * One key material associated with an imported key, as AWS lists it (RotationsListEntry). The
 * material itself, while imported, is the key version of the same number.
 */
export interface ImportedMaterialRecord {
  readonly version: number;
  /**
   * A keyed fingerprint of the material (HMAC under a key derived from the root key): a later
   * import must bring the same material, even after deletion.
   */
  readonly keyMaterialId: string;
  /** CURRENT encrypts; NON_CURRENT only decrypts; PENDING_ROTATION waits for RotateKeyOnDemand. */
  readonly state: "CURRENT" | "NON_CURRENT" | "PENDING_ROTATION";
  /** Whether the material is here; deleted or expired material waits to be imported again. */
  readonly imported: boolean;
  readonly expirationModel: ExpirationModel;
  readonly validTo?: number;
  readonly description?: string;
  /** When RotateKeyOnDemand made it current. */
  readonly rotationDate?: number;
}

/** One version of a key's material, wrapped under the root key (base64). */
export interface KeyVersionRecord {
  readonly keyId: string;
  readonly version: number;
  /** The public id of this material (64 hex digits), reported as key_material_id. */
  readonly keyMaterialId: string;
  readonly wrappedMaterial: string;
  readonly createdAt: number;
  /** How this version came to be, for versions after the first. */
  readonly rotationType?: "AUTOMATIC" | "ON_DEMAND";
}

/** An alias as stored; alias names are unique per account and region. */
export interface AliasRecord {
  readonly accountId: string;
  readonly aliasName: string;
  readonly targetKeyId: string;
  readonly creationDate: number;
  readonly lastUpdatedDate: number;
}

/** A grant: lets a principal use a key for some operations, optionally only with a given encryption context. */
export interface GrantRecord {
  readonly grantId: string;
  readonly keyId: string;
  /** The account that created the grant. */
  readonly issuingAccount: string;
  readonly name: string;
  readonly granteePrincipal: string;
  readonly retiringPrincipal: string;
  /** AWS operation names: "Decrypt", "ReEncryptFrom", ... */
  readonly operations: readonly string[];
  readonly constraints?: {
    readonly encryptionContextEquals?: Readonly<Record<string, string>>;
    readonly encryptionContextSubset?: Readonly<Record<string, string>>;
  };
  readonly creationDate: number;
}

/** A key's last cryptographic use in a region, for GetKeyLastUsage. */
export interface KeyLastUsageRecord {
  readonly keyId: string;
  /** The AWS operation name, e.g. "Decrypt". */
  readonly operation: string;
  readonly timestamp: number;
  /** The request id, which also names the request's audit record. */
  readonly requestId: string;
}
