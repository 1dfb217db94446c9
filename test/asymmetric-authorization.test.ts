import { randomUUID, createHash, createPublicKey, diffieHellman, generateKeyPairSync, verify } from "node:crypto";
import { Code } from "@connectrpc/connect";
import test, { type ExecutionContext } from "ava";
import {
  DataKeyPairSpec,
  GrantOperation,
  KeyAgreementAlgorithmSpec as KA,
  KeySpec,
  KeyUsage,
  MacAlgorithmSpec as M,
  MessageType,
  SigningAlgorithmSpec as S,
} from "../gen/kms/v1/types_pb.js";
import { allClients, connectGrpc, failureOf, type ClientKind, type KmsClient } from "./support/clients.js";
import { auditClient, identityClient, login, startTestServer, type TestServer } from "./support/server.js";
import { sharedKeys, type SharedKey } from "./support/shared-keys.js";

// Authorization of the asymmetric, HMAC and key-agreement RPCs: identity policies with the new
// condition keys (keys keep the default key policy, which trusts the account's IAM policies),
// grants for the new operations, and the audit trail of Sign.

const ACCOUNT = "111122223333";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

type Statement = Record<string, unknown>;
const policyOf = (...statements: Statement[]): string => JSON.stringify({ Version: "2012-10-17", Statement: statements });
/** An identity-policy statement allowing actions on every key when a StringEquals condition holds. */
const allowWhen = (action: string | string[], conditionKey: string, value: string | string[]): Statement => ({
  Effect: "Allow",
  Action: action,
  Resource: "*",
  Condition: { StringEquals: { [conditionKey]: value } },
});

const admin = (): KmsClient => connectGrpc.connect(server);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Principal {
  readonly arn: string;
  readonly token: string;
  kms(kind?: ClientKind): KmsClient;
}

/** A new user with the given inline identity policy (none when omitted), logged in. */
async function newUser(label: string, policyDocument?: string): Promise<Principal> {
  const iam = identityClient(server.url, server.token);
  const userName = `${label}-${randomUUID().slice(0, 8)}`;
  const { user } = await iam.createUser({ userName });
  if (policyDocument !== undefined) await iam.putUserPolicy({ userName, policyName: "asymmetric", policyDocument });
  const { accessKey } = await iam.createAccessKey({ userName });
  const token = await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey);
  if (user!.arn !== `arn:aws:iam::${ACCOUNT}:user/${userName}`) throw new Error(`unexpected user ARN ${user!.arn}`);
  return { arn: user!.arn, token, kms: (kind = connectGrpc) => kind.connect({ url: server.url, token }) };
}

type Key = SharedKey;

const sharedKey = sharedKeys(() => admin(), "asymmetric-authorization");
const keyOf = (spec: KeySpec, usage: KeyUsage): Promise<Key> => sharedKey(spec, usage);
const p256SignKey = () => keyOf(KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY);
const rsaSignKey = () => keyOf(KeySpec.RSA_2048, KeyUsage.SIGN_VERIFY);
const hmac256Key = () => keyOf(KeySpec.HMAC_256, KeyUsage.GENERATE_VERIFY_MAC);
const hmac384Key = () => keyOf(KeySpec.HMAC_384, KeyUsage.GENERATE_VERIFY_MAC);
const agreementKey = () => keyOf(KeySpec.ECC_NIST_P256, KeyUsage.KEY_AGREEMENT);
const symmetricKey = () => keyOf(KeySpec.SYMMETRIC_DEFAULT, KeyUsage.ENCRYPT_DECRYPT);

async function assertDenied(t: ExecutionContext, call: Promise<unknown>, what: string): Promise<string> {
  const failure = await failureOf(call);
  t.is(failure.exception, "AccessDeniedException", `${what}: ${failure.message}`);
  t.is(failure.code, Code.PermissionDenied, `${what}: status code`);
  return failure.message;
}

/** Checks an ECDSA P-256 / SHA-256 DER signature over a RAW message with node and the key's public half. */
async function ecdsaValid(keyId: string, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const { publicKey } = await admin().getPublicKey({ keyId });
  return verify("sha256", message, createPublicKey({ key: Buffer.from(publicKey), format: "der", type: "spki" }), signature);
}

// ---------------------------------------------------------------------------------------------
// Condition keys in identity policies

for (const kind of allClients) {
  test(`${kind.name}: kms:SigningAlgorithm: a user allowed ECDSA_SHA_256 only signs with it and is denied other algorithms`, async (t) => {
    const user = await newUser("sign-ecdsa", policyOf(allowWhen("kms:Sign", "kms:SigningAlgorithm", "ECDSA_SHA_256")));
    const kms = user.kms(kind);
    const p256 = await p256SignKey();
    const rsa = await rsaSignKey();
    const message = utf8(`signed by ${user.arn}`);
    const signed = await kms.sign({ keyId: p256.keyId, message, signingAlgorithm: S.ECDSA_SHA_256 });
    t.is(signed.keyId, p256.arn);
    t.is(signed.signingAlgorithm, S.ECDSA_SHA_256);
    t.true(await ecdsaValid(p256.keyId, message, signed.signature), "a real ECDSA signature");
    for (const algorithm of [S.RSASSA_PKCS1_V1_5_SHA_256, S.RSASSA_PSS_SHA_256, S.RSASSA_PSS_SHA_512]) {
      await assertDenied(t, kms.sign({ keyId: rsa.keyId, message, signingAlgorithm: algorithm }), `Sign with ${S[algorithm]}`);
    }
    // The policy allows kms:Sign only: Verify and GetPublicKey are not in it.
    await assertDenied(t, kms.verify({ keyId: p256.keyId, message, signature: signed.signature, signingAlgorithm: S.ECDSA_SHA_256 }), "Verify");
    await assertDenied(t, kms.getPublicKey({ keyId: p256.keyId }), "GetPublicKey");
  });
}

test("kms:MessageType: a user allowed RAW signs and verifies RAW messages and is denied DIGEST", async (t) => {
  const user = await newUser("sign-raw", policyOf(allowWhen(["kms:Sign", "kms:Verify"], "kms:MessageType", "RAW")));
  const kms = user.kms();
  const key = await p256SignKey();
  const message = utf8("a raw message");
  const digest = createHash("sha256").update(message).digest();
  const signed = await kms.sign({ keyId: key.keyId, message, messageType: MessageType.RAW, signingAlgorithm: S.ECDSA_SHA_256 });
  t.true((await kms.verify({ keyId: key.keyId, message, messageType: MessageType.RAW, signature: signed.signature, signingAlgorithm: S.ECDSA_SHA_256 })).signatureValid);
  await assertDenied(t, kms.sign({ keyId: key.keyId, message: digest, messageType: MessageType.DIGEST, signingAlgorithm: S.ECDSA_SHA_256 }), "Sign DIGEST");
  await assertDenied(t, kms.verify({ keyId: key.keyId, message: digest, messageType: MessageType.DIGEST, signature: signed.signature, signingAlgorithm: S.ECDSA_SHA_256 }), "Verify DIGEST");
  // The administrator may sign the digest, and that signature verifies for the RAW message for the user.
  const adminSigned = await admin().sign({ keyId: key.keyId, message: digest, messageType: MessageType.DIGEST, signingAlgorithm: S.ECDSA_SHA_256 });
  t.true((await kms.verify({ keyId: key.keyId, message, messageType: MessageType.RAW, signature: adminSigned.signature, signingAlgorithm: S.ECDSA_SHA_256 })).signatureValid);
});

test("an omitted message_type or encryption_algorithm is its default in conditions: a Deny on RAW is not escaped by leaving it out", async (t) => {
  const denyRaw = { Effect: "Deny", Action: "kms:Sign", Resource: "*", Condition: { StringEquals: { "kms:MessageType": "RAW" } } } as Statement;
  const user = await newUser("deny-raw", policyOf({ Effect: "Allow", Action: "kms:Sign", Resource: "*" } as Statement, denyRaw));
  const key = await p256SignKey();
  await assertDenied(t, user.kms().sign({ keyId: key.keyId, message: utf8("no type given"), signingAlgorithm: S.ECDSA_SHA_256 }), "Sign with message_type left out");
  const digest = createHash("sha256").update("x").digest();
  t.truthy((await user.kms().sign({ keyId: key.keyId, message: digest, messageType: MessageType.DIGEST, signingAlgorithm: S.ECDSA_SHA_256 })).signature.length);

  const symmetricOnly = await newUser("enc-default", policyOf(allowWhen("kms:Encrypt", "kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT")));
  const symmetric = await symmetricKey();
  t.truthy((await symmetricOnly.kms().encrypt({ keyId: symmetric.keyId, plaintext: utf8("default algorithm") })).ciphertextBlob.length);
});

test("kms:MacAlgorithm: a user allowed HMAC_SHA_256 generates MACs with it and is denied HMAC_SHA_384", async (t) => {
  const user = await newUser("mac-256", policyOf(allowWhen("kms:GenerateMac", "kms:MacAlgorithm", "HMAC_SHA_256")));
  const kms = user.kms();
  const hmac256 = await hmac256Key();
  const hmac384 = await hmac384Key();
  const message = utf8("mac me");
  const generated = await kms.generateMac({ keyId: hmac256.keyId, macAlgorithm: M.HMAC_SHA_256, message });
  t.is(generated.mac.length, 32);
  t.true((await admin().verifyMac({ keyId: hmac256.keyId, macAlgorithm: M.HMAC_SHA_256, message, mac: generated.mac })).macValid);
  await assertDenied(t, kms.generateMac({ keyId: hmac384.keyId, macAlgorithm: M.HMAC_SHA_384, message }), "GenerateMac HMAC_SHA_384");
  await assertDenied(t, kms.verifyMac({ keyId: hmac256.keyId, macAlgorithm: M.HMAC_SHA_256, message, mac: generated.mac }), "VerifyMac is another action");
});

test("kms:KeyAgreementAlgorithm: a user allowed ECDH derives secrets; one whose condition names another value is denied", async (t) => {
  const allowed = await newUser("ecdh", policyOf(allowWhen("kms:DeriveSharedSecret", "kms:KeyAgreementAlgorithm", "ECDH")));
  const other = await newUser("not-ecdh", policyOf(allowWhen("kms:DeriveSharedSecret", "kms:KeyAgreementAlgorithm", "SOMETHING_ELSE")));
  const key = await agreementKey();
  const peer = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const publicKey = peer.publicKey.export({ type: "spki", format: "der" });
  const derived = await allowed.kms().deriveSharedSecret({ keyId: key.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey });
  const serverPublic = (await admin().getPublicKey({ keyId: key.keyId })).publicKey;
  t.deepEqual(Buffer.from(derived.sharedSecret), diffieHellman({ privateKey: peer.privateKey, publicKey: createPublicKey({ key: Buffer.from(serverPublic), format: "der", type: "spki" }) }));
  await assertDenied(t, other.kms().deriveSharedSecret({ keyId: key.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey }), "condition names another algorithm");
});

test("kms:DataKeyPairSpec: a user allowed ECC_NIST_P256 pairs gets them and is denied other specs", async (t) => {
  const user = await newUser("dkp-p256", policyOf(allowWhen(["kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext"], "kms:DataKeyPairSpec", "ECC_NIST_P256")));
  const kms = user.kms();
  const key = await symmetricKey();
  const pair = await kms.generateDataKeyPair({ keyId: key.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 });
  t.is(pair.keyPairSpec, DataKeyPairSpec.ECC_NIST_P256);
  t.is(createPublicKey({ key: Buffer.from(pair.publicKey), format: "der", type: "spki" }).asymmetricKeyDetails?.namedCurve, "prime256v1");
  const without = await kms.generateDataKeyPairWithoutPlaintext({ keyId: key.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 });
  t.is(without.keyPairSpec, DataKeyPairSpec.ECC_NIST_P256);
  for (const spec of [DataKeyPairSpec.ECC_NIST_P384, DataKeyPairSpec.RSA_2048, DataKeyPairSpec.ECC_NIST_EDWARDS25519]) {
    await assertDenied(t, kms.generateDataKeyPair({ keyId: key.keyId, keyPairSpec: spec }), `GenerateDataKeyPair ${DataKeyPairSpec[spec]}`);
    await assertDenied(t, kms.generateDataKeyPairWithoutPlaintext({ keyId: key.keyId, keyPairSpec: spec }), `GenerateDataKeyPairWithoutPlaintext ${DataKeyPairSpec[spec]}`);
  }
  // Nothing lets this user decrypt the private key it was handed encrypted.
  await assertDenied(t, kms.decrypt({ ciphertextBlob: without.privateKeyCiphertextBlob }), "Decrypt");
});

test("a user with no policies is denied every new RPC on keys with the default key policy", async (t) => {
  const kms = (await newUser("nothing")).kms();
  const message = utf8("m");
  await assertDenied(t, kms.sign({ keyId: (await p256SignKey()).keyId, message, signingAlgorithm: S.ECDSA_SHA_256 }), "Sign");
  await assertDenied(t, kms.verify({ keyId: (await p256SignKey()).keyId, message, signature: new Uint8Array(70), signingAlgorithm: S.ECDSA_SHA_256 }), "Verify");
  await assertDenied(t, kms.getPublicKey({ keyId: (await p256SignKey()).keyId }), "GetPublicKey");
  await assertDenied(t, kms.generateMac({ keyId: (await hmac256Key()).keyId, macAlgorithm: M.HMAC_SHA_256, message }), "GenerateMac");
  await assertDenied(t, kms.verifyMac({ keyId: (await hmac256Key()).keyId, macAlgorithm: M.HMAC_SHA_256, message, mac: new Uint8Array(32) }), "VerifyMac");
  const publicKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" });
  await assertDenied(t, kms.deriveSharedSecret({ keyId: (await agreementKey()).keyId, keyAgreementAlgorithm: KA.ECDH, publicKey }), "DeriveSharedSecret");
  await assertDenied(t, kms.generateDataKeyPair({ keyId: (await symmetricKey()).keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 }), "GenerateDataKeyPair");
  await assertDenied(t, kms.generateDataKeyPairWithoutPlaintext({ keyId: (await symmetricKey()).keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 }), "GenerateDataKeyPairWithoutPlaintext");
});

test("dry runs check the conditions: DryRunOperationException when allowed, AccessDeniedException when not", async (t) => {
  const user = await newUser("dry-run", policyOf(allowWhen("kms:Sign", "kms:SigningAlgorithm", "ECDSA_SHA_256"), allowWhen("kms:GenerateMac", "kms:MacAlgorithm", "HMAC_SHA_256")));
  const kms = user.kms();
  const message = utf8("dry");
  const dry = async (call: Promise<unknown>, what: string): Promise<void> => {
    const failure = await failureOf(call);
    t.is(failure.exception, "DryRunOperationException", `${what}: ${failure.message}`);
  };
  await dry(kms.sign({ keyId: (await p256SignKey()).keyId, message, signingAlgorithm: S.ECDSA_SHA_256, dryRun: true }), "Sign ECDSA_SHA_256");
  await assertDenied(t, kms.sign({ keyId: (await rsaSignKey()).keyId, message, signingAlgorithm: S.RSASSA_PSS_SHA_256, dryRun: true }), "dry-run Sign RSASSA_PSS_SHA_256");
  await dry(kms.generateMac({ keyId: (await hmac256Key()).keyId, macAlgorithm: M.HMAC_SHA_256, message, dryRun: true }), "GenerateMac HMAC_SHA_256");
  await assertDenied(t, kms.generateMac({ keyId: (await hmac384Key()).keyId, macAlgorithm: M.HMAC_SHA_384, message, dryRun: true }), "dry-run GenerateMac HMAC_SHA_384");
});

// ---------------------------------------------------------------------------------------------
// Grants

for (const kind of allClients) {
  test(`${kind.name}: a grant for SIGN, VERIFY and GET_PUBLIC_KEY lets a user with no policies do exactly those`, async (t) => {
    const key = await p256SignKey();
    const grantee = await newUser("grantee-sign");
    const kms = grantee.kms(kind);
    const message = utf8(`granted ${kind.name}`);
    await assertDenied(t, kms.sign({ keyId: key.keyId, message, signingAlgorithm: S.ECDSA_SHA_256 }), "Sign before the grant");

    const { grantToken } = await admin().createGrant({
      keyId: key.keyId,
      granteePrincipal: grantee.arn,
      operations: [GrantOperation.SIGN, GrantOperation.VERIFY, GrantOperation.GET_PUBLIC_KEY],
    });
    const signed = await kms.sign({ keyId: key.keyId, message, signingAlgorithm: S.ECDSA_SHA_256, grantTokens: [grantToken] });
    t.is(signed.keyId, key.arn);
    const verified = await kms.verify({ keyId: key.keyId, message, signature: signed.signature, signingAlgorithm: S.ECDSA_SHA_256 });
    t.true(verified.signatureValid);
    const { publicKey } = await kms.getPublicKey({ keyId: key.keyId });
    t.true(verify("sha256", message, createPublicKey({ key: Buffer.from(publicKey), format: "der", type: "spki" }), signed.signature), "the grantee can check the signature itself");

    await assertDenied(t, kms.generateMac({ keyId: key.keyId, macAlgorithm: M.HMAC_SHA_256, message }), "GenerateMac on the granted key");
    await assertDenied(t, kms.generateMac({ keyId: (await hmac256Key()).keyId, macAlgorithm: M.HMAC_SHA_256, message }), "GenerateMac on an HMAC key");
    await assertDenied(t, kms.describeKey({ keyId: key.keyId }), "DescribeKey is not in the grant");
    await assertDenied(t, kms.sign({ keyId: (await rsaSignKey()).keyId, message, signingAlgorithm: S.RSASSA_PSS_SHA_256 }), "Sign with another key");
  });
}

test("grants for GENERATE_MAC/VERIFY_MAC, DERIVE_SHARED_SECRET and GENERATE_DATA_KEY_PAIR(_WITHOUT_PLAINTEXT) let the grantee call them", async (t) => {
  const grantee = await newUser("grantee-misc");
  const kms = grantee.kms();
  const hmac = await hmac256Key();
  const agreement = await agreementKey();
  const symmetric = await symmetricKey();
  const message = utf8("granted mac");
  const peer = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" });

  await assertDenied(t, kms.generateMac({ keyId: hmac.keyId, macAlgorithm: M.HMAC_SHA_256, message }), "GenerateMac before the grant");
  await assertDenied(t, kms.deriveSharedSecret({ keyId: agreement.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: peer }), "DeriveSharedSecret before the grant");
  await assertDenied(t, kms.generateDataKeyPair({ keyId: symmetric.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 }), "GenerateDataKeyPair before the grant");

  await admin().createGrant({ keyId: hmac.keyId, granteePrincipal: grantee.arn, operations: [GrantOperation.GENERATE_MAC, GrantOperation.VERIFY_MAC] });
  await admin().createGrant({ keyId: agreement.keyId, granteePrincipal: grantee.arn, operations: [GrantOperation.DERIVE_SHARED_SECRET] });
  await admin().createGrant({ keyId: symmetric.keyId, granteePrincipal: grantee.arn, operations: [GrantOperation.GENERATE_DATA_KEY_PAIR, GrantOperation.GENERATE_DATA_KEY_PAIR_WITHOUT_PLAINTEXT] });

  const { mac } = await kms.generateMac({ keyId: hmac.keyId, macAlgorithm: M.HMAC_SHA_256, message });
  t.true((await kms.verifyMac({ keyId: hmac.keyId, macAlgorithm: M.HMAC_SHA_256, message, mac })).macValid);
  t.is((await kms.deriveSharedSecret({ keyId: agreement.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: peer })).sharedSecret.length, 32);
  t.is((await kms.generateDataKeyPair({ keyId: symmetric.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 })).privateKeyPlaintext.length > 0, true);
  t.true((await kms.generateDataKeyPairWithoutPlaintext({ keyId: symmetric.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256 })).privateKeyCiphertextBlob.length > 0);
  // The data-key-pair grant does not include Decrypt or GenerateDataKey.
  await assertDenied(t, kms.generateDataKey({ keyId: symmetric.keyId, numberOfBytes: 32 }), "GenerateDataKey");
});

// ---------------------------------------------------------------------------------------------
// Audit


test("the audit trail records an allowed Sign with action kms:Sign and a denied one with the reason", async (t) => {
  const user = await newUser("audited", policyOf(allowWhen("kms:Sign", "kms:SigningAlgorithm", "ECDSA_SHA_256")));
  const p256 = await p256SignKey();
  const rsa = await rsaSignKey();
  const message = utf8("AUDITED-SIGN-MESSAGE");
  const signed = await user.kms().sign({ keyId: p256.keyId, message, signingAlgorithm: S.ECDSA_SHA_256 });
  await assertDenied(t, user.kms().sign({ keyId: rsa.keyId, message, signingAlgorithm: S.RSASSA_PSS_SHA_256 }), "denied Sign");

  const { records } = await auditClient(server.url, server.token).listAuditRecords({ principal: user.arn, limit: 1000 });
  const signs = records.filter((r) => r.rpc === "kms.v1.KeyManagementService/Sign");
  t.is(signs.length, 2, "one record per Sign call");

  const allowed = signs.find((r) => r.decision === "allow");
  t.like(allowed, { principal: user.arn, outcome: "ok", region: "us-east-1" });
  t.deepEqual(allowed?.access.map((a) => [a.action, a.resource]), [["kms:Sign", p256.arn]]);

  const denied = signs.find((r) => r.decision === "deny");
  t.like(denied, { principal: user.arn, outcome: "AccessDeniedException" });
  t.deepEqual(denied?.access.map((a) => [a.action, a.resource]), [["kms:Sign", rsa.arn]]);
  t.regex(denied?.reason ?? "", /kms:Sign/);

  const text = JSON.stringify(signs, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  t.true(signed.signature.length > 0);
  for (const secret of ["AUDITED-SIGN-MESSAGE", Buffer.from(message).toString("base64"), user.token]) {
    t.false(text.includes(secret), "the trail holds neither the message nor the session token");
  }
});
