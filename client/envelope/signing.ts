import { createPublicKey, createSign, createVerify, ECDH, generateKeyPair, type KeyObject, type Sign, type Verify } from "node:crypto";
import { promisify } from "node:util";
import { EnvelopeError } from "./errors.js";

// The signature of a signed message (suite 0x0002): ECDSA P-384 with SHA-384 over every byte of
// the message before it, by a key pair made for that message alone. The private key signs once
// and is dropped; the public key travels in the encryption context, where KMS binds it to the
// data key. So whoever can only decrypt (kms:Decrypt) cannot write a message readers accept: it
// would need the private key, or a data key bound to a public key of its own, which takes
// kms:GenerateDataKey*, kms:Encrypt or kms:ReEncrypt* on a key the reader trusts. ECDSA
// signatures are malleable ((r, s) and (r, n - s) both verify): a message is identified by its
// message id, never by its bytes.
//
// On the wire, after the final chunk:  u16 length L | L bytes DER-encoded ECDSA signature

const CURVE = "secp384r1";
const HASH = "sha384";
/** A compressed P-384 point: 0x02 or 0x03, then x. */
const COMPRESSED_POINT_BYTES = 49;
/** As long as a real verification key (base64 of 49 bytes), for checking a context's size ahead. */
export const PUBLIC_KEY_PLACEHOLDER = "A".repeat(68);
/** The longest DER ECDSA P-384 signature (two 49-byte integers and their framing). */
export const MAX_SIGNATURE_BYTES = 104;
/** The SPKI DER prefix of an uncompressed P-384 public key (the 97-byte point follows). */
const P384_SPKI_PREFIX = Buffer.from("3076301006072a8648ce3d020106052b81040022036200", "hex");

const generateEcKeyPair = promisify(generateKeyPair);

/** A message's signing key: the signer to feed every byte written, and the public key for the context. */
export interface MessageSigner {
  readonly signer: Sign;
  /** base64 of the compressed point, the value of PUBLIC_KEY_CONTEXT_KEY. */
  readonly publicKey: string;
  /** Signs what the signer was fed; the footer to write after the final chunk. */
  footer(): Buffer;
}

/** Makes a key pair for one message (off the event loop: key generation is a worker's job). */
export async function newMessageSigner(): Promise<MessageSigner> {
  const { publicKey, privateKey } = await generateEcKeyPair("ec", { namedCurve: CURVE });
  const point = publicKey.export({ format: "der", type: "spki" }).subarray(P384_SPKI_PREFIX.length);
  const signer = createSign(HASH);
  return {
    signer,
    publicKey: ECDH.convertKey(point, CURVE, undefined, "base64", "compressed") as string,
    footer: () => {
      const signature = signer.sign({ key: privateKey, dsaEncoding: "der" });
      const length = Buffer.alloc(2);
      length.writeUInt16BE(signature.length);
      return Buffer.concat([length, signature]);
    },
  };
}

/** The verifier of a signed message, from the public key in its context; a key that is not a P-384 point is MalformedHeader. */
export function messageVerifier(publicKeyBase64: string): { readonly verifier: Verify; readonly key: KeyObject } {
  const compressed = Buffer.from(publicKeyBase64, "base64");
  let key: KeyObject;
  try {
    if (compressed.length !== COMPRESSED_POINT_BYTES || compressed.toString("base64") !== publicKeyBase64) throw new Error("not canonical base64 of 49 bytes");
    const point = ECDH.convertKey(compressed, CURVE, undefined, undefined, "uncompressed") as Buffer;
    key = createPublicKey({ key: Buffer.concat([P384_SPKI_PREFIX, point]), format: "der", type: "spki" });
  } catch {
    throw new EnvelopeError("MalformedHeader", "the message's verification key is not a compressed P-384 point");
  }
  return { verifier: createVerify(HASH), key };
}

/** Checks a signature over what the verifier was fed. */
export function checkSignature(verification: ReturnType<typeof messageVerifier>, signature: Uint8Array): void {
  let valid = false;
  try {
    valid = verification.verifier.verify({ key: verification.key, dsaEncoding: "der" }, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new EnvelopeError("SignatureInvalid", "the message's signature does not verify");
}
