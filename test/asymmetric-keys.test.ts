import test, { type ExecutionContext } from "ava";
import { createPublicKey } from "node:crypto";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { KeySpec, KeyUsage } from "../gen/kms/v1/types_pb.js";
import { allowedKeyUsages, keyAlgorithms, supportedKeySpecs } from "../server/domain/key-specs.js";
import { allClients, connectGrpc, failureOf, type KmsClient } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/server.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer();
});
test.after.always(async () => {
  await server?.destroy();
});

const name = (spec: KeySpec, usage: KeyUsage): string => `${KeySpec[spec]}/${KeyUsage[usage]}`;

/** Every spec and usage AWS lets CreateKey combine (SM2 aside), written out here rather than read from the server. */
const combinations: ReadonlyArray<readonly [KeySpec, KeyUsage]> = [
  [KeySpec.SYMMETRIC_DEFAULT, KeyUsage.ENCRYPT_DECRYPT],
  ...[KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096].flatMap((s) => [
    [s, KeyUsage.ENCRYPT_DECRYPT] as const,
    [s, KeyUsage.SIGN_VERIFY] as const,
  ]),
  ...[KeySpec.ECC_NIST_P256, KeySpec.ECC_NIST_P384, KeySpec.ECC_NIST_P521].flatMap((s) => [
    [s, KeyUsage.SIGN_VERIFY] as const,
    [s, KeyUsage.KEY_AGREEMENT] as const,
  ]),
  [KeySpec.ECC_SECG_P256K1, KeyUsage.SIGN_VERIFY],
  [KeySpec.ECC_NIST_EDWARDS25519, KeyUsage.SIGN_VERIFY],
  [KeySpec.ML_DSA_44, KeyUsage.SIGN_VERIFY],
  [KeySpec.ML_DSA_65, KeyUsage.SIGN_VERIFY],
  [KeySpec.ML_DSA_87, KeyUsage.SIGN_VERIFY],
  [KeySpec.ML_KEM_512, KeyUsage.ENCAPSULATE_DECAPSULATE],
  [KeySpec.ML_KEM_768, KeyUsage.ENCAPSULATE_DECAPSULATE],
  [KeySpec.ML_KEM_1024, KeyUsage.ENCAPSULATE_DECAPSULATE],
  [KeySpec.HMAC_224, KeyUsage.GENERATE_VERIFY_MAC],
  [KeySpec.HMAC_256, KeyUsage.GENERATE_VERIFY_MAC],
  [KeySpec.HMAC_384, KeyUsage.GENERATE_VERIFY_MAC],
  [KeySpec.HMAC_512, KeyUsage.GENERATE_VERIFY_MAC],
];

const isHmac = (spec: KeySpec) => [KeySpec.HMAC_224, KeySpec.HMAC_256, KeySpec.HMAC_384, KeySpec.HMAC_512].includes(spec);
const hasPublicKey = (spec: KeySpec) => spec !== KeySpec.SYMMETRIC_DEFAULT && !isHmac(spec);

interface CreatedKey {
  readonly keyId: string;
  readonly arn: string;
  readonly spec: KeySpec;
  readonly usage: KeyUsage;
  /** The key metadata CreateKey answered with. */
  readonly created: Awaited<ReturnType<KmsClient["createKey"]>>["keyMetadata"];
}

/** Keys created through connect-grpc, one per spec and usage, shared by the tests (RSA-4096 takes seconds). */
const keyCache = new Map<string, Promise<CreatedKey>>();
function createdKey(spec: KeySpec, usage: KeyUsage, create?: () => Promise<CreatedKey>): Promise<CreatedKey> {
  const id = name(spec, usage);
  let key = keyCache.get(id);
  if (!key) keyCache.set(id, (key = (create ?? (() => newKey(connectGrpc.connect(server), spec, usage)))()));
  return key;
}

async function newKey(kms: KmsClient, spec: KeySpec, usage: KeyUsage): Promise<CreatedKey> {
  const { keyMetadata } = await kms.createKey({ keySpec: spec, keyUsage: usage, description: `asymmetric-keys ${name(spec, usage)}` });
  return { keyId: keyMetadata!.keyId, arn: keyMetadata!.arn, spec, usage, created: keyMetadata };
}

interface AlgorithmLists {
  encryptionAlgorithms: readonly number[];
  signingAlgorithms: readonly number[];
  keyAgreementAlgorithms: readonly number[];
  encapsulationAlgorithms: readonly number[];
  macAlgorithms?: readonly number[];
}

/** Asserts the key spec, usage and the five (four for GetPublicKey) algorithm lists keyAlgorithms gives. */
function assertAlgorithms(t: ExecutionContext, got: AlgorithmLists & { keySpec: KeySpec; keyUsage: KeyUsage }, spec: KeySpec, usage: KeyUsage, what: string): void {
  const expected = keyAlgorithms(spec, usage);
  t.is(got.keySpec, spec, `${what}: key_spec`);
  t.is(got.keyUsage, usage, `${what}: key_usage`);
  t.deepEqual([...got.encryptionAlgorithms], [...expected.encryptionAlgorithms], `${what}: encryption_algorithms`);
  t.deepEqual([...got.signingAlgorithms], [...expected.signingAlgorithms], `${what}: signing_algorithms`);
  t.deepEqual([...got.keyAgreementAlgorithms], [...expected.keyAgreementAlgorithms], `${what}: key_agreement_algorithms`);
  t.deepEqual([...got.encapsulationAlgorithms], [...expected.encapsulationAlgorithms], `${what}: encapsulation_algorithms`);
  if (got.macAlgorithms) t.deepEqual([...got.macAlgorithms], [...expected.macAlgorithms], `${what}: mac_algorithms`);
}

const ecCurves: ReadonlyMap<KeySpec, string> = new Map([
  [KeySpec.ECC_NIST_P256, "prime256v1"],
  [KeySpec.ECC_NIST_P384, "secp384r1"],
  [KeySpec.ECC_NIST_P521, "secp521r1"],
  [KeySpec.ECC_SECG_P256K1, "secp256k1"],
]);
const rsaBits: ReadonlyMap<KeySpec, number> = new Map([
  [KeySpec.RSA_2048, 2048],
  [KeySpec.RSA_3072, 3072],
  [KeySpec.RSA_4096, 4096],
]);
/** ML-DSA and ML-KEM: the last arcs of the OID 2.16.840.1.101.3.4.{3,4}.x and the raw public key size (FIPS 204, 203). */
const mlDsa: ReadonlyMap<KeySpec, { family: number; arc: number; publicKeyBytes: number }> = new Map([
  [KeySpec.ML_DSA_44, { family: 3, arc: 17, publicKeyBytes: ml_dsa44.lengths.publicKey ?? 1312 }],
  [KeySpec.ML_DSA_65, { family: 3, arc: 18, publicKeyBytes: ml_dsa65.lengths.publicKey ?? 1952 }],
  [KeySpec.ML_DSA_87, { family: 3, arc: 19, publicKeyBytes: ml_dsa87.lengths.publicKey ?? 2592 }],
  [KeySpec.ML_KEM_512, { family: 4, arc: 1, publicKeyBytes: 800 }],
  [KeySpec.ML_KEM_768, { family: 4, arc: 2, publicKeyBytes: 1184 }],
  [KeySpec.ML_KEM_1024, { family: 4, arc: 3, publicKeyBytes: 1568 }],
]);

/** Asserts that the DER SubjectPublicKeyInfo is a public key of the spec, parsed by node (or by hand for ML-DSA, which Node 20 lacks). */
function assertSpki(t: ExecutionContext, spki: Uint8Array, spec: KeySpec, what: string): void {
  const der = Buffer.from(spki);
  const ml = mlDsa.get(spec);
  if (ml) {
    t.is(ml.publicKeyBytes >= 800, true, "precondition: key sizes known");
    // SEQUENCE { SEQUENCE { OID id-ml-dsa-NN / id-alg-ml-kem-NNN } BIT STRING { 00 || raw key } }, lengths in two bytes.
    const bitString = 4 + ml.publicKeyBytes + 1;
    const body = 13 + bitString;
    const expectedPrefix = Buffer.from([
      0x30, 0x82, body >> 8, body & 0xff,
      0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, ml.family, ml.arc,
      0x03, 0x82, (ml.publicKeyBytes + 1) >> 8, (ml.publicKeyBytes + 1) & 0xff, 0x00,
    ]);
    t.is(der.length, expectedPrefix.length + ml.publicKeyBytes, `${what}: SPKI length`);
    t.deepEqual(der.subarray(0, expectedPrefix.length), expectedPrefix, `${what}: SPKI header with the algorithm's OID`);
    return;
  }
  const key = createPublicKey({ key: der, format: "der", type: "spki" });
  t.is(key.type, "public", what);
  const bits = rsaBits.get(spec);
  const curve = ecCurves.get(spec);
  if (bits !== undefined) {
    t.is(key.asymmetricKeyType, "rsa", `${what}: key type`);
    t.is(key.asymmetricKeyDetails?.modulusLength, bits, `${what}: modulus length`);
    t.is(key.asymmetricKeyDetails?.publicExponent, 65537n, `${what}: public exponent`);
  } else if (curve !== undefined) {
    t.is(key.asymmetricKeyType, "ec", `${what}: key type`);
    t.is(key.asymmetricKeyDetails?.namedCurve, curve, `${what}: curve`);
  } else if (spec === KeySpec.ECC_NIST_EDWARDS25519) {
    t.is(key.asymmetricKeyType, "ed25519", `${what}: key type`);
  } else {
    t.fail(`${what}: no expectation for ${KeySpec[spec]}`);
  }
  // The SPKI the server gave is exactly the canonical encoding of that key.
  t.deepEqual(key.export({ format: "der", type: "spki" }), der, `${what}: canonical DER`);
}

async function allKeyIds(kms: KmsClient): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  let marker = "";
  for (let page = 0; page < 1000; page++) {
    const response = await kms.listKeys({ limit: 100, marker });
    for (const k of response.keys) ids.set(k.keyId, k.keyArn);
    if (!response.truncated) return ids;
    marker = response.nextMarker;
  }
  throw new Error("ListKeys did not end");
}

// ---------------------------------------------------------------------------------------------
// Key generation must not block the event loop. Serial, so it runs first and alone; its RSA-4096
// key becomes the shared RSA_4096/ENCRYPT_DECRYPT key.
// ---------------------------------------------------------------------------------------------

test.serial("key generation does not block the event loop: DescribeKey calls finish while an RSA_4096 key is generated", async (t) => {
  const kms = connectGrpc.connect(server);
  const other = (await kms.createKey({})).keyMetadata!.keyId;
  await kms.describeKey({ keyId: other }); // warm the connection and the key

  const events: string[] = [];
  const creating = newKey(kms, KeySpec.RSA_4096, KeyUsage.ENCRYPT_DECRYPT).then(
    (key) => (events.push("CreateKey"), key),
    (error: unknown) => {
      events.push("CreateKey failed");
      throw error;
    },
  );
  createdKey(KeySpec.RSA_4096, KeyUsage.ENCRYPT_DECRYPT, () => creating);
  for (let i = 1; i <= 5; i++) {
    const { keyMetadata } = await kms.describeKey({ keyId: other });
    t.is(keyMetadata!.keyId, other);
    events.push(`DescribeKey ${i}`);
  }
  const key = await creating;
  t.is(key.created!.keySpec, KeySpec.RSA_4096);
  t.deepEqual(events, ["DescribeKey 1", "DescribeKey 2", "DescribeKey 3", "DescribeKey 4", "DescribeKey 5", "CreateKey"]);
});

// ---------------------------------------------------------------------------------------------
// Every spec and usage, over connect-grpc.
// ---------------------------------------------------------------------------------------------

test("the combinations tested are exactly the server's catalogue of specs and usages", (t) => {
  const catalogue = supportedKeySpecs.flatMap((spec) => allowedKeyUsages(spec).map((usage) => name(spec, usage))).sort();
  t.deepEqual(combinations.map(([spec, usage]) => name(spec, usage)).sort(), catalogue);
});

for (const [spec, usage] of combinations) {
  test(`connect-grpc: CreateKey and DescribeKey ${name(spec, usage)} show the spec, usage and algorithms`, async (t) => {
    const kms = connectGrpc.connect(server);
    const key = await createdKey(spec, usage);
    t.regex(key.arn, new RegExp(`:key/${key.keyId}$`));
    assertAlgorithms(t, key.created!, spec, usage, "CreateKey");
    t.true(key.created!.enabled);
    const { keyMetadata } = await kms.describeKey({ keyId: key.keyId });
    t.is(keyMetadata!.arn, key.arn);
    assertAlgorithms(t, keyMetadata!, spec, usage, "DescribeKey");
  });

  if (hasPublicKey(spec)) {
    test(`connect-grpc: GetPublicKey ${name(spec, usage)} gives a parseable SPKI of the spec and the algorithm lists`, async (t) => {
      const kms = connectGrpc.connect(server);
      const key = await createdKey(spec, usage);
      const response = await kms.getPublicKey({ keyId: key.keyId });
      t.is(response.keyId, key.arn, "GetPublicKey answers with the key ARN");
      assertAlgorithms(t, response, spec, usage, "GetPublicKey");
      assertSpki(t, response.publicKey, spec, name(spec, usage));
      const byArn = await kms.getPublicKey({ keyId: key.arn });
      t.deepEqual(byArn.publicKey, response.publicKey, "the same public key every time");
    });
  }
}

test("connect-grpc: two keys of the same spec have different key material", async (t) => {
  const kms = connectGrpc.connect(server);
  const a = await createdKey(KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY);
  const b = await newKey(kms, KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY);
  const c = await newKey(kms, KeySpec.ML_DSA_44, KeyUsage.SIGN_VERIFY);
  const d = await createdKey(KeySpec.ML_DSA_44, KeyUsage.SIGN_VERIFY);
  t.notDeepEqual((await kms.getPublicKey({ keyId: a.keyId })).publicKey, (await kms.getPublicKey({ keyId: b.keyId })).publicKey);
  t.notDeepEqual((await kms.getPublicKey({ keyId: c.keyId })).publicKey, (await kms.getPublicKey({ keyId: d.keyId })).publicKey);
});

test("connect-grpc: an RSA spec without a key usage is an ENCRYPT_DECRYPT key", async (t) => {
  const kms = connectGrpc.connect(server);
  const { keyMetadata } = await kms.createKey({ keySpec: KeySpec.RSA_2048 });
  assertAlgorithms(t, keyMetadata!, KeySpec.RSA_2048, KeyUsage.ENCRYPT_DECRYPT, "CreateKey");
  assertAlgorithms(t, (await kms.describeKey({ keyId: keyMetadata!.keyId })).keyMetadata!, KeySpec.RSA_2048, KeyUsage.ENCRYPT_DECRYPT, "DescribeKey");
});

test("connect-grpc: ListKeys includes the keys of every spec", async (t) => {
  const keys = await Promise.all(combinations.map(([spec, usage]) => createdKey(spec, usage)));
  const listed = await allKeyIds(connectGrpc.connect(server));
  for (const key of keys) t.is(listed.get(key.keyId), key.arn, name(key.spec, key.usage));
});

// ---------------------------------------------------------------------------------------------
// Refusals and the cheap main cases, through every client.
// ---------------------------------------------------------------------------------------------

const refused: ReadonlyArray<readonly [KeySpec, KeyUsage]> = [
  [KeySpec.HMAC_256, KeyUsage.UNSPECIFIED],
  [KeySpec.HMAC_256, KeyUsage.ENCRYPT_DECRYPT],
  [KeySpec.HMAC_512, KeyUsage.SIGN_VERIFY],
  [KeySpec.ECC_NIST_P256, KeyUsage.ENCRYPT_DECRYPT],
  [KeySpec.ECC_NIST_P384, KeyUsage.UNSPECIFIED],
  [KeySpec.ECC_NIST_P521, KeyUsage.GENERATE_VERIFY_MAC],
  [KeySpec.RSA_2048, KeyUsage.KEY_AGREEMENT],
  [KeySpec.RSA_3072, KeyUsage.GENERATE_VERIFY_MAC],
  [KeySpec.ECC_NIST_EDWARDS25519, KeyUsage.KEY_AGREEMENT],
  [KeySpec.ECC_NIST_EDWARDS25519, KeyUsage.UNSPECIFIED],
  [KeySpec.ECC_SECG_P256K1, KeyUsage.KEY_AGREEMENT],
  [KeySpec.ML_DSA_65, KeyUsage.ENCRYPT_DECRYPT],
  [KeySpec.ML_DSA_44, KeyUsage.KEY_AGREEMENT],
  [KeySpec.ML_KEM_768, KeyUsage.UNSPECIFIED],
  [KeySpec.ML_KEM_512, KeyUsage.ENCRYPT_DECRYPT],
  [KeySpec.RSA_2048, KeyUsage.ENCAPSULATE_DECAPSULATE],
  [KeySpec.SYMMETRIC_DEFAULT, KeyUsage.SIGN_VERIFY],
  [KeySpec.SYMMETRIC_DEFAULT, KeyUsage.GENERATE_VERIFY_MAC],
];

/** One spec per client for the main cases, so each client carries a different encoding. */
const mainCase: ReadonlyMap<string, readonly [KeySpec, KeyUsage]> = new Map([
  ["connect-grpc", [KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY] as const],
  ["connect-http1", [KeySpec.ECC_NIST_P384, KeyUsage.KEY_AGREEMENT] as const],
  ["grpc-js", [KeySpec.ECC_NIST_EDWARDS25519, KeyUsage.SIGN_VERIFY] as const],
]);

for (const kind of allClients) {
  const title = (s: string) => `${kind.name}: ${s}`;
  const [spec, usage] = mainCase.get(kind.name) ?? [KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY];

  test(title(`CreateKey, DescribeKey, GetPublicKey and ListKeys of an ${name(spec, usage)} key`), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms, spec, usage);
    assertAlgorithms(t, key.created!, spec, usage, "CreateKey");
    assertAlgorithms(t, (await kms.describeKey({ keyId: key.arn })).keyMetadata!, spec, usage, "DescribeKey");
    const publicKey = await kms.getPublicKey({ keyId: key.keyId });
    t.is(publicKey.keyId, key.arn);
    assertAlgorithms(t, publicKey, spec, usage, "GetPublicKey");
    assertSpki(t, publicKey.publicKey, spec, name(spec, usage));
    t.is((await allKeyIds(kms)).get(key.keyId), key.arn, "ListKeys lists the new key");
  });

  test(title("CreateKey of an HMAC_384 key shows its MAC algorithm"), async (t) => {
    const kms = kind.connect(server);
    const key = await newKey(kms, KeySpec.HMAC_384, KeyUsage.GENERATE_VERIFY_MAC);
    assertAlgorithms(t, key.created!, KeySpec.HMAC_384, KeyUsage.GENERATE_VERIFY_MAC, "CreateKey");
    assertAlgorithms(t, (await kms.describeKey({ keyId: key.keyId })).keyMetadata!, KeySpec.HMAC_384, KeyUsage.GENERATE_VERIFY_MAC, "DescribeKey");
  });

  test(title("CreateKey refuses a usage the spec does not allow with ValidationException"), async (t) => {
    const kms = kind.connect(server);
    for (const [refusedSpec, refusedUsage] of refused) {
      const failure = await failureOf(kms.createKey({ keySpec: refusedSpec, keyUsage: refusedUsage }));
      t.is(failure.exception, "ValidationException", name(refusedSpec, refusedUsage));
    }
  });

  test(title("CreateKey of SM2 is UnsupportedOperationException"), async (t) => {
    const kms = kind.connect(server);
    for (const smUsage of [KeyUsage.SIGN_VERIFY, KeyUsage.ENCRYPT_DECRYPT, KeyUsage.KEY_AGREEMENT]) {
      t.is((await failureOf(kms.createKey({ keySpec: KeySpec.SM2, keyUsage: smUsage }))).exception, "UnsupportedOperationException", name(KeySpec.SM2, smUsage));
    }
  });

  test(title("GetPublicKey of a symmetric or HMAC key is UnsupportedOperationException"), async (t) => {
    const kms = kind.connect(server);
    const symmetric = (await kms.createKey({})).keyMetadata!.keyId;
    const hmac = (await kms.createKey({ keySpec: KeySpec.HMAC_256, keyUsage: KeyUsage.GENERATE_VERIFY_MAC })).keyMetadata!.keyId;
    t.is((await failureOf(kms.getPublicKey({ keyId: symmetric }))).exception, "UnsupportedOperationException", "symmetric");
    t.is((await failureOf(kms.getPublicKey({ keyId: hmac }))).exception, "UnsupportedOperationException", "HMAC");
  });
}
