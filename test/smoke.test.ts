import test from "ava";
import { allClients, failureOf } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

for (const kind of allClients) {
  test(`${kind.name}: create, encrypt, decrypt`, async (t) => {
    const kms = kind.connect(server);
    const { keyMetadata } = await kms.createKey({ description: "smoke" });
    const enc = await kms.encrypt({ keyId: keyMetadata!.keyId, plaintext: new TextEncoder().encode("hello") });
    const dec = await kms.decrypt({ ciphertextBlob: enc.ciphertextBlob });
    t.is(new TextDecoder().decode(dec.plaintext), "hello");
    const failure = await failureOf(kms.decrypt({ ciphertextBlob: enc.ciphertextBlob.subarray(1) }));
    t.is(failure.exception, "InvalidCiphertextException");
  });
}
