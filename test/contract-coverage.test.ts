import { Code } from "@connectrpc/connect";
import test from "ava";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
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
  test(`${kind.name}: every RPC of the contract is implemented: an empty request is refused for what it lacks, never UNIMPLEMENTED`, async (t) => {
    const kms = kind.connect(server) as unknown as Record<string, (req: object) => Promise<unknown>>;
    for (const method of KeyManagementService.methods) {
      const outcome = await kms[method.localName]!({}).then(
        () => "ok",
        async (e: unknown) => {
          const failure = await failureOf(Promise.reject(e));
          return failure.code === Code.Unimplemented ? `UNIMPLEMENTED ${failure.exception}` : failure.exception;
        },
      );
      t.false(outcome.startsWith("UNIMPLEMENTED"), `${method.name}: ${outcome}`);
    }
  });
}
