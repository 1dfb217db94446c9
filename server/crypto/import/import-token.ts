import { AlgorithmSpec, WrappingKeySpec } from "../../../gen/kms/v1/types_pb.js";
import { GCM_IV_BYTES, GCM_TAG_BYTES, openAesGcm, sealAesGcm } from "../aes-gcm.js";
import { KmsError } from "../../errors/kms-error.js";

/** What GetParametersForImport hands ImportKeyMaterial through the caller: the token is the only state, so nothing is stored between the two calls. */
export interface ImportTokenFields {
  readonly region: string;
  readonly keyId: string;
  readonly wrappingPrivateKeyPkcs8Der: Buffer;
  readonly algorithm: AlgorithmSpec;
  readonly wrappingKeySpec: WrappingKeySpec;
  /** Milliseconds since the epoch; the token is refused after it. */
  readonly expiresAt: number;
}

/** AWS: a wrapping public key and import token are valid for 24 hours. */
export const IMPORT_TOKEN_VALIDITY_MS = 24 * 60 * 60 * 1000;
/** The largest token opened: AWS's ImportToken limit; ours are 1.2 to 2.5 KB (RSA-2048 to 4096 wrapping keys). */
export const MAX_IMPORT_TOKEN_BYTES = 6144;

const VERSION = 1;
const TOKEN_KEY_BYTES = 32;
/** algorithm (1) || wrapping key spec (1) || expiresAt (8, big-endian), then the PKCS#8 key. */
const FIELDS_BYTES = 10;

/**
 * Seals the fields with AES-256-GCM under the token key (the server derives it from its root
 * key): version || iv || ciphertext || tag. The version, region and key id are the associated
 * data, so a token opens only for the key and region it was issued for.
 */
export function sealImportToken(tokenKey: Uint8Array, fields: ImportTokenFields): Buffer {
  checkTokenKey(tokenKey);
  const { algorithm, wrappingKeySpec, expiresAt } = fields;
  if (!isByte(algorithm) || !isByte(wrappingKeySpec)) throw new TypeError("algorithm and wrapping key spec must be enum values");
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) throw new TypeError("expiresAt must be a non-negative integer of milliseconds");
  const header = Buffer.alloc(FIELDS_BYTES);
  header.writeUInt8(algorithm, 0);
  header.writeUInt8(wrappingKeySpec, 1);
  header.writeBigUInt64BE(BigInt(expiresAt), 2);
  const plaintext = Buffer.concat([header, fields.wrappingPrivateKeyPkcs8Der]);
  try {
    const { iv, ciphertext, tag } = sealAesGcm(tokenKey, plaintext, tokenAad(fields));
    return Buffer.concat([Buffer.from([VERSION]), iv, ciphertext, tag]);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Opens a token from ImportKeyMaterial (untrusted bytes). Anything that does not authenticate
 * for the expected key and region, tampering, another key's or region's token, garbage, is
 * InvalidImportTokenException with no detail; only a token that authenticates can be
 * ExpiredImportTokenException, when `now` is past its expiry.
 */
export function openImportToken(tokenKey: Uint8Array, token: Uint8Array, expected: { readonly region: string; readonly keyId: string }, now: number): ImportTokenFields {
  checkTokenKey(tokenKey);
  const invalid = () => new KmsError("InvalidImportTokenException", "The import token is not valid for the specified KMS key");
  if (token.length > MAX_IMPORT_TOKEN_BYTES || token.length < 1 + GCM_IV_BYTES + FIELDS_BYTES + GCM_TAG_BYTES || token[0] !== VERSION) throw invalid();
  const plaintext = openAesGcm(
    tokenKey,
    {
      iv: token.subarray(1, 1 + GCM_IV_BYTES),
      ciphertext: token.subarray(1 + GCM_IV_BYTES, token.length - GCM_TAG_BYTES),
      tag: token.subarray(token.length - GCM_TAG_BYTES),
    },
    tokenAad(expected),
  );
  if (!plaintext) throw invalid();
  try {
    const algorithm: AlgorithmSpec = plaintext.readUInt8(0);
    const wrappingKeySpec: WrappingKeySpec = plaintext.readUInt8(1);
    const expiresAt = Number(plaintext.readBigUInt64BE(2));
    // Only this server can seal, so these hold unless the token key was misused elsewhere.
    if (AlgorithmSpec[algorithm] === undefined || WrappingKeySpec[wrappingKeySpec] === undefined || !Number.isSafeInteger(expiresAt)) throw invalid();
    if (now > expiresAt) throw new KmsError("ExpiredImportTokenException", "The import token has expired; call GetParametersForImport for a new one");
    const wrappingPrivateKeyPkcs8Der = Buffer.from(plaintext.subarray(FIELDS_BYTES));
    return { region: expected.region, keyId: expected.keyId, wrappingPrivateKeyPkcs8Der, algorithm, wrappingKeySpec, expiresAt };
  } finally {
    plaintext.fill(0);
  }
}

/** version || length-prefixed region || length-prefixed key id: unambiguous for any strings. */
function tokenAad({ region, keyId }: { readonly region: string; readonly keyId: string }): Buffer {
  const parts = [Buffer.from("kms.import-token", "utf8"), Buffer.from(region, "utf8"), Buffer.from(keyId, "utf8")];
  const out = [Buffer.from([VERSION])];
  for (const part of parts) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(part.length);
    out.push(length, part);
  }
  return Buffer.concat(out);
}

function isByte(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 255;
}

function checkTokenKey(tokenKey: Uint8Array): void {
  if (tokenKey.length !== TOKEN_KEY_BYTES) throw new TypeError(`the import token key must be ${TOKEN_KEY_BYTES} bytes`);
}
