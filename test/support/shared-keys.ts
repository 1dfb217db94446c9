import type { KeySpec, KeyUsage } from "../../gen/kms/v1/types_pb.js";
import type { KmsClient } from "./clients.js";

/** A key some tests share. */
export interface SharedKey {
  readonly keyId: string;
  readonly arn: string;
}

/**
 * Keys of a test file, created on first use by the given client and shared by its tests (an
 * RSA-4096 key costs seconds to make). A failed creation is not cached.
 */
export function sharedKeys(admin: () => KmsClient, description: string): (spec: KeySpec, usage: KeyUsage) => Promise<SharedKey> {
  const keys = new Map<string, Promise<SharedKey>>();
  return (spec, usage) => {
    const name = `${spec}/${usage}`;
    let key = keys.get(name);
    if (!key) {
      key = admin()
        .createKey({ keySpec: spec, keyUsage: usage, description })
        .then(({ keyMetadata }) => ({ keyId: keyMetadata!.keyId, arn: keyMetadata!.arn }));
      key.catch(() => keys.delete(name));
      keys.set(name, key);
    }
    return key;
  };
}
