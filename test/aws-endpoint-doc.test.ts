import { readFile } from "node:fs/promises";
import * as sdk from "@aws-sdk/client-kms";
import test from "ava";
import { KeyManagementService } from "../gen/kms/v1/key_management_service_pb.js";
import { AwsProtocolError } from "../server/aws/aws-errors.js";
import { operationOf, unsupportedAwsOperations } from "../server/aws/aws-json-codec.js";
import { methodOptions } from "../server/method-options.js";

// docs/aws-endpoint.md has a table of every AWS KMS operation: supported or not, and its IAM
// action. This keeps it in step with the contract (every RPC is supported), with the codec's
// list of AWS operations it refuses, and with the operations of the AWS SDK for JavaScript.

interface Row {
  readonly supported: boolean;
  readonly cell: string;
  readonly actions: string[];
}

async function table(): Promise<Map<string, Row>> {
  const doc = await readFile(new URL("../docs/aws-endpoint.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("| operation | supported | IAM action |"));
  const rows = new Map<string, Row>();
  for (const [, name, supported, action] of section.matchAll(/^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|$/gm)) {
    if (rows.has(name!)) throw new Error(`${name} is in the table twice`);
    const cell = supported!.trim();
    rows.set(name!, { supported: cell === "yes", cell, actions: [...action!.matchAll(/`(kms:\w+)`/g)].map((m) => m[1]!) });
  }
  return rows;
}

const contract = KeyManagementService.methods.map((m) => m.name);
/** The operations the AWS SDK has a Command for: every AWS KMS operation of its model. */
const sdkOperations = Object.keys(sdk)
  .filter((name) => /^[A-Z]\w*Command$/.test(name) && typeof (sdk as unknown as Record<string, unknown>)[name] === "function")
  .map((name) => name.replace(/Command$/, ""));

test("every RPC of the contract is in the table as supported, with the IAM action the contract authorizes it with", async (t) => {
  const rows = await table();
  for (const method of KeyManagementService.methods) {
    const row = rows.get(method.name);
    if (!row) {
      t.fail(`${method.name} is not in docs/aws-endpoint.md`);
      continue;
    }
    t.true(row.supported, `${method.name} is marked "${row.cell}"`);
    const options = methodOptions(method);
    const actions = [...new Set(options.access.map((a) => a.action))];
    if (options.selfAuthorized) t.deepEqual(row.actions, [`kms:${method.name}`], `${method.name}: AWS's action for an operation the handler authorizes`);
    else t.deepEqual(row.actions, actions, `${method.name}: the IAM action`);
  }
});

test("every unsupported row is an AWS operation the contract lacks, refused by the codec as UnsupportedOperationException, with a reason", async (t) => {
  const rows = await table();
  const unsupported = [...rows].filter(([, row]) => !row.supported);
  t.true(unsupported.length > 0);
  for (const [name, row] of unsupported) {
    t.false(contract.includes(name), `${name} is in the contract but marked unsupported`);
    t.true(unsupportedAwsOperations.has(name), `${name} is not in unsupportedAwsOperations of server/aws/aws-json-codec.ts`);
    t.regex(row.cell, /^no: \S.{10,}/, `${name}: "no: <the reason>"`);
    t.deepEqual(row.actions, [`kms:${name}`], `${name}: AWS's IAM action`);
    const error = t.throws(() => operationOf(`TrentService.${name}`));
    t.true(error instanceof AwsProtocolError);
    t.is((error as AwsProtocolError).exception, "UnsupportedOperationException", name);
  }
  for (const name of unsupportedAwsOperations) t.false(rows.get(name)?.supported ?? true, `${name} (unsupportedAwsOperations) is in the table as unsupported`);
  // The table is exactly the contract and the operations the codec refuses.
  t.deepEqual([...rows.keys()].sort(), [...contract, ...unsupportedAwsOperations].sort());
});

test("every operation @aws-sdk/client-kms has a Command for is in the table, and nothing else", async (t) => {
  const rows = await table();
  t.true(sdkOperations.length >= 56, `the SDK has ${sdkOperations.length} commands`);
  for (const name of sdkOperations) t.true(rows.has(name), `${name} (${name}Command of @aws-sdk/client-kms) is not in docs/aws-endpoint.md`);
  t.deepEqual([...rows.keys()].sort(), [...sdkOperations].sort());
  // The 53 operations of the AWS KMS API reference, GetKeyLastUsage, and ML-KEM's Encapsulate / Decapsulate (served).
  for (const name of ["GetKeyLastUsage", "Encapsulate", "Decapsulate", "ConnectCustomKeyStore", "UpdatePrimaryRegion"]) t.true(rows.has(name), name);
});

test("the table is in alphabetical order", async (t) => {
  const names = [...(await table()).keys()];
  t.deepEqual(names, [...names].sort());
});
