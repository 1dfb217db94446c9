import { readFile } from "node:fs/promises";
import test from "ava";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { keyManagementService } from "../server/services/key-management-service.js";

test("docs/operations.md lists every RPC of the contract and marks exactly the implemented ones", async (t) => {
  const doc = await readFile(new URL("../docs/operations.md", import.meta.url), "utf8");
  const rows = new Map([...doc.matchAll(/^\| `(\w+)` \|.*\| ([^|]+) \|$/gm)].map(([, name, status]) => [name!, status!.trim()]));
  t.deepEqual([...rows.keys()].sort(), KeyManagementService.methods.map((m) => m.name).sort());
  for (const method of KeyManagementService.methods) {
    const implemented = method.localName in keyManagementService;
    t.is(rows.get(method.name) === "implemented", implemented, `${method.name} is ${implemented ? "" : "not "}implemented`);
  }
});
