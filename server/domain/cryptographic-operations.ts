/** The operations that share AWS's "cryptographic operations (symmetric)" request quota. */
export const SYMMETRIC_OPERATIONS: ReadonlySet<string> = new Set(["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "GenerateRandom", "ReEncrypt", "VerifyMac"]);

/** The operations of the asymmetric request quotas. */
export const ASYMMETRIC_OPERATIONS: ReadonlySet<string> = new Set(["Sign", "Verify", "GetPublicKey", "DeriveSharedSecret", "Encapsulate", "Decapsulate", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"]);

/**
 * The cryptographic operations that use a key, as GetKeyLastUsage tracks them: both quota
 * families, less GenerateRandom (no key) and GetPublicKey (reads, does not use, the key).
 */
export const KEY_USING_OPERATIONS: ReadonlySet<string> = new Set([...SYMMETRIC_OPERATIONS, ...ASYMMETRIC_OPERATIONS].filter((op) => op !== "GenerateRandom" && op !== "GetPublicKey"));
