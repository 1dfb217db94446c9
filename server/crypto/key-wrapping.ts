import { GCM_IV_BYTES, GCM_TAG_BYTES, openAesGcm, sealAesGcm } from "./aes-gcm.js";

/** Where a key version belongs; bound into the wrapping so a record moved elsewhere will not unwrap. */
export interface KeyVersionBinding {
  readonly region: string;
  readonly keyId: string;
  readonly version: number;
}

const ROOT_KEY_BYTES = 32;

/**
 * Encrypts key material under the root key before it touches disk (AES-256-GCM). The region,
 * key id and version are the associated data, so a wrapped version copied to another key or
 * region fails to unwrap. Output: iv || ciphertext || tag.
 */
export function wrapKeyMaterial(rootKey: Uint8Array, material: Uint8Array, binding: KeyVersionBinding): Buffer {
  checkRootKey(rootKey);
  const { iv, ciphertext, tag } = sealAesGcm(rootKey, material, bindingAad(binding));
  return Buffer.concat([iv, ciphertext, tag]);
}

/** Reverses wrapKeyMaterial; throws when the root key, binding or bytes do not match (a server fault, never a client's). */
export function unwrapKeyMaterial(rootKey: Uint8Array, wrapped: Uint8Array, binding: KeyVersionBinding): Buffer {
  checkRootKey(rootKey);
  const material =
    wrapped.length > GCM_IV_BYTES + GCM_TAG_BYTES
      ? openAesGcm(
          rootKey,
          {
            iv: wrapped.subarray(0, GCM_IV_BYTES),
            ciphertext: wrapped.subarray(GCM_IV_BYTES, wrapped.length - GCM_TAG_BYTES),
            tag: wrapped.subarray(wrapped.length - GCM_TAG_BYTES),
          },
          bindingAad(binding),
        )
      : undefined;
  if (!material) throw new Error(`key material of ${binding.keyId} version ${binding.version} in ${binding.region} does not unwrap under the root key`);
  return material;
}

function bindingAad({ region, keyId, version }: KeyVersionBinding): Buffer {
  return Buffer.from(`kms.key-material.v1\0${region}\0${keyId}\0${version}`, "utf8");
}

function checkRootKey(rootKey: Uint8Array): void {
  if (rootKey.length !== ROOT_KEY_BYTES) throw new TypeError(`the root key must be ${ROOT_KEY_BYTES} bytes`);
}
