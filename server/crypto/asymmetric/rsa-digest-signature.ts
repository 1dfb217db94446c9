import { constants, createHash, privateEncrypt, publicDecrypt, randomBytes, timingSafeEqual, type KeyObject } from "node:crypto";

/**
 * RSA signatures over a digest the caller already computed (MessageType DIGEST). node:crypto
 * always hashes what it signs, so the encodings of RFC 8017 are built here and only the raw RSA
 * operation is left to OpenSSL: PKCS#1 v1.5 (EMSA-PKCS1-v1_5, section 9.2) and PSS
 * (EMSA-PSS, section 9.1) with MGF1 over the same hash and a salt as long as the hash, as AWS does.
 */

export type RsaHash = "sha256" | "sha384" | "sha512";

/** DER of DigestInfo { AlgorithmIdentifier { hash, NULL }, OCTET STRING } up to the digest (RFC 8017 section 9.2 note 1). */
const digestInfoPrefix: Record<RsaHash, Buffer> = {
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

/** PKCS#1 v1.5: OpenSSL's private "encrypt" with PKCS#1 padding is exactly block type 1 over DigestInfo. */
export function signPkcs1Digest(key: KeyObject, hash: RsaHash, digest: Uint8Array): Buffer {
  return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([digestInfoPrefix[hash], digest]));
}

export function verifyPkcs1Digest(key: KeyObject, hash: RsaHash, digest: Uint8Array, signature: Uint8Array): boolean {
  const expected = Buffer.concat([digestInfoPrefix[hash], digest]);
  const recovered = rsaPublic(key, signature, constants.RSA_PKCS1_PADDING);
  return recovered !== undefined && recovered.length === expected.length && timingSafeEqual(recovered, expected);
}

/** RSASSA-PSS sign (RFC 8017 sections 8.1.1 and 9.1.1), salt length = hash length. */
export function signPssDigest(key: KeyObject, hash: RsaHash, digest: Uint8Array): Buffer {
  const { modBits, k } = modulus(key);
  const hLen = digest.length;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < 2 * hLen + 2) throw new TypeError("RSA key too small for PSS with this hash");
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([0x01]), salt]);
  const maskedDb = xor(db, mgf1(hash, h, db.length));
  maskedDb[0]! &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([maskedDb, h, Buffer.from([0xbc])]);
  return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, Buffer.concat([Buffer.alloc(k - emLen), em]));
}

/** RSASSA-PSS verify (RFC 8017 sections 8.1.2 and 9.1.2), requiring salt length = hash length. */
export function verifyPssDigest(key: KeyObject, hash: RsaHash, digest: Uint8Array, signature: Uint8Array): boolean {
  const { modBits, k } = modulus(key);
  const hLen = digest.length;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (signature.length !== k || emLen < 2 * hLen + 2) return false;
  const m = rsaPublic(key, signature, constants.RSA_NO_PADDING);
  if (m === undefined || m.length !== k || m.subarray(0, k - emLen).some((b) => b !== 0)) return false;
  const em = m.subarray(k - emLen);
  const topBitsMask = 0xff >> (8 * emLen - emBits);
  if (em[emLen - 1] !== 0xbc || (em[0]! & ~topBitsMask) !== 0) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const db = xor(maskedDb, mgf1(hash, h, maskedDb.length));
  db[0]! &= topBitsMask;
  const separator = emLen - 2 * hLen - 2;
  if (db.subarray(0, separator).some((b) => b !== 0) || db[separator] !== 0x01) return false;
  const salt = db.subarray(db.length - hLen);
  const expected = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return timingSafeEqual(expected, h);
}

/** MGF1 (RFC 8017 appendix B.2.1). */
function mgf1(hash: RsaHash, seed: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let done = 0, i = 0; done < length; i++) {
    counter.writeUInt32BE(i);
    const block = createHash(hash).update(seed).update(counter).digest();
    blocks.push(block);
    done += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function xor(a: Uint8Array, b: Uint8Array): Buffer {
  return Buffer.from(a.map((x, i) => x ^ b[i]!));
}

function modulus(key: KeyObject): { modBits: number; k: number } {
  const modBits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== "rsa" || !modBits) throw new TypeError("not an RSA key");
  return { modBits, k: Math.ceil(modBits / 8) };
}

/** The public RSA operation; undefined when OpenSSL rejects the input (out of range, bad padding). */
function rsaPublic(key: KeyObject, signature: Uint8Array, padding: number): Buffer | undefined {
  try {
    return publicDecrypt({ key, padding }, signature);
  } catch {
    return undefined;
  }
}
