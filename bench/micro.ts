import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { sealAesGcm } from "../server/crypto/aes-gcm.js";
import { parseCiphertextBlob } from "../server/crypto/ciphertext-blob.js";
import { unwrapKeyMaterial, wrapKeyMaterial } from "../server/crypto/key-wrapping.js";
import { decryptSymmetric, encryptSymmetric } from "../server/crypto/symmetric-encryption.js";
import { defaultKeyPolicy } from "../server/domain/default-key-policy.js";
import { authorize, PolicyCache } from "../server/policy/index.js";
import { measure, type Measurement } from "./measure.js";

// Micro-benchmarks of the pure parts, each reported beside a baseline measured in the same run
// (raw AES-256-GCM on 32 bytes), so a regression shows where it comes from. BENCH_SMOKE=1 runs
// each for a moment only (CI checks that it produces numbers, not how fast they are).
const smoke = process.env.BENCH_SMOKE === "1";
const ms = smoke ? 50 : 1500;

const account = "111122223333";
const keyArn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const keyPolicy = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    JSON.parse(defaultKeyPolicy("aws", account)).Statement[0],
    { Sid: "Key administrators", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:user/keyadmin` }, Action: ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"], Resource: "*" },
    { Sid: "Key users", Effect: "Allow", Principal: { AWS: [`arn:aws:iam::${account}:user/app`, `arn:aws:iam::${account}:role/worker`] }, Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:tenant": ["acme", "globex"] } } },
    { Sid: "No deletion from outside", Effect: "Deny", Principal: "*", Action: "kms:ScheduleKeyDeletion", Resource: "*", Condition: { NotIpAddress: { "aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"] } } },
  ],
});
const iamPolicies = [
  { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], Resource: `arn:aws:kms:*:${account}:key/*` }] },
  { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "kms:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" }, StringNotEquals: { "aws:RequestedRegion": ["us-east-1", "eu-west-1"] } } }] },
].map((p) => JSON.stringify(p));

const cache = new PolicyCache();
const principal = { arn: `arn:aws:iam::${account}:user/app`, accountId: account, tags: {} };
const context = new Map<string, string | string[]>([
  ["kms:encryptioncontext:tenant", "acme"],
  ["kms:encryptioncontextkeys", ["tenant"]],
  ["aws:sourceip", "10.1.2.3"],
  ["aws:securetransport", "true"],
  ["aws:requestedregion", "us-east-1"],
  ["kms:calleraccount", account],
]);
const authorizeEncrypt = () =>
  authorize({
    request: { principal, action: "kms:Encrypt", resource: keyArn, context },
    key: { policy: cache.get(keyPolicy, "key"), accountId: account, grants: [] },
    identityPolicies: iamPolicies.map((p, i) => ({ name: `p${i}`, policy: cache.get(p, "identity") })),
  });
if (!authorizeEncrypt().allowed) throw new Error("the benchmark's request should be allowed");

const material = randomBytes(32);
const rootKey = randomBytes(32);
const binding = { region: "us-east-1", keyId: "1234abcd-12ab-34cd-56ef-1234567890ab", version: 1 };
const wrapped = wrapKeyMaterial(rootKey, material, binding);
const version = { keyId: binding.keyId, version: 1, material };
const plaintext = randomBytes(32);
const blob = encryptSymmetric(version, plaintext, { tenant: "acme" });

const baseline = measure("baseline: raw AES-256-GCM seal, 32 B", () => sealAesGcm(material, plaintext, new Uint8Array(0)), ms);
const results: Measurement[] = [
  baseline,
  measure("policy: authorize Encrypt (key policy + 2 IAM policies, cached)", authorizeEncrypt, ms),
  measure("policy: compile the key policy (cache miss)", () => new PolicyCache().get(keyPolicy, "key"), ms),
  measure("ciphertext: encrypt 32 B with context (blob encode)", () => encryptSymmetric(version, plaintext, { tenant: "acme" }), ms),
  measure("ciphertext: parse + decrypt 32 B", () => decryptSymmetric(version, parseCiphertextBlob(blob), { tenant: "acme" }), ms),
  measure("key material: unwrap under the root key", () => unwrapKeyMaterial(rootKey, wrapped, binding), ms),
];

const rows = results.map((r) => ({ ...r, ratioToBaseline: Math.round((r.microsecondsPerOp / baseline.microsecondsPerOp) * 100) / 100 }));
console.log(`micro-benchmarks, ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}${smoke ? " (smoke)" : ""}`);
console.log("| operation | ops/s | us/op | x baseline |\n|---|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.name} | ${r.opsPerSecond} | ${r.microsecondsPerOp} | ${r.ratioToBaseline} |`);
if (!smoke) {
  await mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await writeFile(new URL(`./results/micro-${new Date().toISOString().replace(/[:.]/g, "-")}.json`, import.meta.url), JSON.stringify({ node: process.version, cpus: cpus().length, rows }, null, 2));
}
