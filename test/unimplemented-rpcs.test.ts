import { Code } from "@connectrpc/connect";
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
  test(`${kind.name}: an RPC of the contract not implemented yet answers UNIMPLEMENTED with UnsupportedOperationException`, async (t) => {
    const kms = kind.connect(server);
    const { keyMetadata } = await kms.createKey({});
    const failure = await failureOf(kms.getKeyLastUsage({ keyId: keyMetadata!.keyId }));
    t.is(failure.code, Code.Unimplemented);
    t.is(failure.exception, "UnsupportedOperationException");
  });
}
