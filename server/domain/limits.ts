/** The limits of AWS KMS that this server enforces (../docs/limits in README). */
export const limits = {
  plaintextBytes: { min: 1, max: 4096 },
  ciphertextBlobBytes: { min: 1, max: 6144 },
  numberOfBytes: { min: 1, max: 1024 },
  /** Verify's signature and VerifyMac's MAC (AWS: 1 to 6144 bytes). */
  signatureBytes: { min: 1, max: 6144 },
  /** GenerateMac and VerifyMac messages. */
  macMessageBytes: { min: 1, max: 4096 },
  /** DeriveSharedSecret's peer public key (DER SPKI). */
  peerPublicKeyBytes: { min: 1, max: 8192 },
  descriptionChars: 8192,
  /** Canonical encoded size of an encryption context. */
  encryptionContextBytes: 8192,
  listLimit: { min: 1, max: 1000, default: 100 },
  /** ListAliases, ListGrants and ListRetirableGrants page at most 100, 50 by default, as in AWS. */
  shortListLimit: { min: 1, max: 100, default: 50 },
  /** ListResourceTags pages at most 50, as in AWS. */
  tagListLimit: { min: 1, max: 50, default: 50 },
  markerChars: 1024,
  pendingWindowInDays: { min: 7, max: 30, default: 30 },
  aliasNameChars: 256,
  aliasesPerKey: 50,
  keyPolicyBytes: 32768,
  tagsPerKey: 50,
  tagKeyChars: { min: 1, max: 128 },
  tagValueChars: { min: 0, max: 256 },
} as const;
