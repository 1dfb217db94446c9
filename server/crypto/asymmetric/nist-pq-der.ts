// DER for the NIST post-quantum algorithms (ML-DSA: RFC 9881; ML-KEM: the LAMPS profile): an
// AlgorithmIdentifier that is the OID alone, keys stored as PKCS#8 in the seed-only form, and
// public keys as SubjectPublicKeyInfo whose BIT STRING is the raw key.

/** One algorithm: the last two arcs of its OID under 2.16.840.1.101.3.4 (3.x: ML-DSA, 4.x: ML-KEM), and its seed and public key sizes. */
export interface NistPqAlgorithm {
  /** For messages: "ML-DSA", "ML-KEM". */
  readonly name: string;
  readonly arcs: readonly [number, number];
  readonly seedBytes: number;
  readonly publicKeyBytes: number;
}

/** AlgorithmIdentifier { 2.16.840.1.101.3.4.a.b } with parameters absent. */
function algorithmIdentifier(a: NistPqAlgorithm): Buffer {
  return Buffer.from([0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, a.arcs[0], a.arcs[1]]);
}

/** PrivateKeyInfo { version 0, algorithm, privateKey OCTET STRING { seed [0] IMPLICIT OCTET STRING } }, up to the seed. */
function pkcs8Prefix(a: NistPqAlgorithm): Buffer {
  const seedField = [0x80, a.seedBytes];
  const privateKey = [0x04, seedField.length + a.seedBytes, ...seedField];
  const content = 3 + 13 + privateKey.length + a.seedBytes;
  return Buffer.concat([Buffer.from([0x30, content, 0x02, 0x01, 0x00]), algorithmIdentifier(a), Buffer.from(privateKey)]);
}

/** The seed-only PKCS#8 of a seed. */
export function seedPkcs8(a: NistPqAlgorithm, seed: Uint8Array): Buffer {
  if (seed.length !== a.seedBytes) throw new TypeError(`a seed is ${a.seedBytes} bytes, not ${seed.length}`);
  return Buffer.concat([pkcs8Prefix(a), seed]);
}

/** The seed in a stored seed-only PKCS#8 of the algorithm; anything else is an error (stored keys are ours). */
export function seedFromPkcs8(a: NistPqAlgorithm, pkcs8Der: Uint8Array): Uint8Array {
  const prefix = pkcs8Prefix(a);
  const der = Buffer.from(pkcs8Der);
  if (der.length !== prefix.length + a.seedBytes || !der.subarray(0, prefix.length).equals(prefix)) {
    throw new Error(`stored private key is not an ${a.name} seed of this key spec`);
  }
  return der.subarray(prefix.length);
}

/** SubjectPublicKeyInfo of a raw public key; every size is 256..65535 bytes, so lengths take two bytes. */
export function encodeSpki(a: NistPqAlgorithm, publicKey: Uint8Array): Buffer {
  const bitString = Buffer.concat([Buffer.from([0x03, 0x82]), uint16(publicKey.length + 1), Buffer.from([0x00]), publicKey]);
  const body = Buffer.concat([algorithmIdentifier(a), bitString]);
  return Buffer.concat([Buffer.from([0x30, 0x82]), uint16(body.length), body]);
}

/** The raw public key inside an SPKI of the algorithm; undefined when the bytes are anything else. */
export function publicKeyFromSpki(a: NistPqAlgorithm, spkiDer: Uint8Array): Uint8Array | undefined {
  const spki = Buffer.from(spkiDer);
  const raw = spki.subarray(spki.length - a.publicKeyBytes);
  return spki.length > a.publicKeyBytes && encodeSpki(a, raw).equals(spki) ? raw : undefined;
}

function uint16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
