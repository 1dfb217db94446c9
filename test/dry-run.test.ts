import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { ConnectError } from "@connectrpc/connect";
import test, { type ExecutionContext } from "ava";
import { ErrorDetailSchema } from "../gen/kms/v1/error_pb.js";
import {
  DataKeyPairSpec,
  DataKeySpec,
  DryRunModifierType,
  EncryptionAlgorithmSpec as E,
  GrantOperation,
  KeyAgreementAlgorithmSpec as KA,
  KeySpec,
  KeyUsage,
  MacAlgorithmSpec as M,
  SigningAlgorithmSpec as S,
} from "../gen/kms/v1/types_pb.js";
import { allClients, connectGrpc, failureOf, type KmsClient } from "./support/clients.js";
import { identityClient, login, startTestServer, type TestServer } from "./support/server.js";

// DryRun, end to end: on every operation that has dry_run in AWS KMS, a dry run is validated and
// authorized exactly as the real request would be, and then answers DryRunOperationException
// instead of doing anything. Decrypt and ReEncrypt also take the IGNORE_CIPHERTEXT modifier, which
// checks the caller's permission on the key the request names without reading the ciphertext.
//
// Keys keep the default key policy, which defers to the IAM policies of the account, so a user's
// inline identity policy decides what it may do.

const IGNORE_CIPHERTEXT = DryRunModifierType.IGNORE_CIPHERTEXT;
const DRY_RUN = "DryRunOperationException";
const DENIED = "AccessDeniedException";

let server: TestServer;
let f: Fixtures;

test.before(async () => {
  server = await startTestServer();
  f = await makeFixtures();
});
test.after.always(async () => {
  await server?.destroy();
});

const admin = (): KmsClient => connectGrpc.connect(server);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const message = utf8("a message for a dry run");

// ---------------------------------------------------------------------------------------------
// Keys, users and grants

interface Key {
  readonly keyId: string;
  readonly arn: string;
}

interface Principal {
  readonly arn: string;
  kms(): KmsClient;
}

interface Grant {
  readonly keyId: string;
  readonly keyArn: string;
  readonly grantId: string;
  readonly grantToken: string;
}

interface Fixtures {
  /** A symmetric key, its ciphertext, and a second symmetric key (ReEncrypt's destination). */
  readonly symmetric: Key;
  readonly ciphertext: Uint8Array;
  readonly other: Key;
  /** An RSA-2048 ENCRYPT_DECRYPT key and an RSAES_OAEP_SHA_256 ciphertext of it. */
  readonly rsa: Key;
  readonly rsaCiphertext: Uint8Array;
  /** ECC_NIST_P256 SIGN_VERIFY, with an ECDSA_SHA_256 signature of `message`. */
  readonly sign: Key;
  readonly signature: Uint8Array;
  /** HMAC_256 GENERATE_VERIFY_MAC, with the HMAC_SHA_256 of `message`. */
  readonly hmac: Key;
  readonly mac: Uint8Array;
  /** ECC_NIST_P256 KEY_AGREEMENT, a P-256 peer public key and a P-384 one (SPKI DER). */
  readonly agreement: Key;
  readonly peer: Uint8Array;
  readonly peerP384: Uint8Array;
  /** The key the (a) and (c) grant tests create, retire and revoke grants on. */
  readonly grantKey: Key;
  /** Disabled keys, with a ciphertext / signature / MAC each made while it was enabled. */
  readonly disabled: {
    readonly symmetric: Key;
    readonly ciphertext: Uint8Array;
    readonly sign: Key;
    readonly signature: Uint8Array;
    readonly hmac: Key;
    readonly mac: Uint8Array;
    readonly agreement: Key;
  };
  /** A user with no policies at all, the grantee of the test grants. */
  readonly grantee: Principal;
}

async function newKey(spec: KeySpec = KeySpec.SYMMETRIC_DEFAULT, usage: KeyUsage = KeyUsage.ENCRYPT_DECRYPT): Promise<Key> {
  const { keyMetadata } = await admin().createKey({ keySpec: spec, keyUsage: usage, description: "dry-run test" });
  return { keyId: keyMetadata!.keyId, arn: keyMetadata!.arn };
}

type Statement = Record<string, unknown>;
const policyOf = (...statements: Statement[]): string => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (action: string | readonly string[], resource: string | readonly string[] = "*"): Statement => ({ Effect: "Allow", Action: action, Resource: resource });

/** A new user with the given inline identity policy (none when omitted), logged in. */
async function newUser(label: string, policyDocument?: string): Promise<Principal> {
  const iam = identityClient(server.url, server.token);
  const userName = `${label}-${randomUUID().slice(0, 8)}`;
  const { user } = await iam.createUser({ userName });
  if (policyDocument !== undefined) await iam.putUserPolicy({ userName, policyName: "dry-run", policyDocument });
  const { accessKey } = await iam.createAccessKey({ userName });
  const token = await login(server.url, accessKey!.accessKeyId, accessKey!.secretAccessKey);
  return { arn: user!.arn, kms: () => connectGrpc.connect({ url: server.url, token }) };
}

/** Every action the 15 operations need, plus two read-only ones. */
const ALL_ACTIONS = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:GenerateDataKeyPair",
  "kms:GenerateDataKeyPairWithoutPlaintext",
  "kms:Sign",
  "kms:Verify",
  "kms:GenerateMac",
  "kms:VerifyMac",
  "kms:DeriveSharedSecret",
  "kms:CreateGrant",
  "kms:RetireGrant",
  "kms:RevokeGrant",
  "kms:DescribeKey",
  "kms:ListGrants",
] as const;

async function makeFixtures(): Promise<Fixtures> {
  const kms = admin();
  const peer = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" });
  const peerP384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey.export({ type: "spki", format: "der" });
  const [symmetric, other, rsa, sign, hmac, agreement, grantKey, disabledSymmetric, disabledSign, disabledHmac, disabledAgreement, grantee] = await Promise.all([
    newKey(),
    newKey(),
    newKey(KeySpec.RSA_2048, KeyUsage.ENCRYPT_DECRYPT),
    newKey(KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY),
    newKey(KeySpec.HMAC_256, KeyUsage.GENERATE_VERIFY_MAC),
    newKey(KeySpec.ECC_NIST_P256, KeyUsage.KEY_AGREEMENT),
    newKey(),
    newKey(),
    newKey(KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY),
    newKey(KeySpec.HMAC_256, KeyUsage.GENERATE_VERIFY_MAC),
    newKey(KeySpec.ECC_NIST_P256, KeyUsage.KEY_AGREEMENT),
    newUser("grantee"),
  ]);
  const ciphertext = (await kms.encrypt({ keyId: symmetric.keyId, plaintext: message })).ciphertextBlob;
  const rsaCiphertext = (await kms.encrypt({ keyId: rsa.keyId, plaintext: message, encryptionAlgorithm: E.RSAES_OAEP_SHA_256 })).ciphertextBlob;
  const signature = (await kms.sign({ keyId: sign.keyId, message, signingAlgorithm: S.ECDSA_SHA_256 })).signature;
  const mac = (await kms.generateMac({ keyId: hmac.keyId, message, macAlgorithm: M.HMAC_SHA_256 })).mac;
  const disabledCiphertext = (await kms.encrypt({ keyId: disabledSymmetric.keyId, plaintext: message })).ciphertextBlob;
  const disabledSignature = (await kms.sign({ keyId: disabledSign.keyId, message, signingAlgorithm: S.ECDSA_SHA_256 })).signature;
  const disabledMac = (await kms.generateMac({ keyId: disabledHmac.keyId, message, macAlgorithm: M.HMAC_SHA_256 })).mac;
  for (const key of [disabledSymmetric, disabledSign, disabledHmac, disabledAgreement]) await kms.disableKey({ keyId: key.keyId });
  return {
    symmetric,
    ciphertext,
    other,
    rsa,
    rsaCiphertext,
    sign,
    signature,
    hmac,
    mac,
    agreement,
    peer,
    peerP384,
    grantKey,
    disabled: {
      symmetric: disabledSymmetric,
      ciphertext: disabledCiphertext,
      sign: disabledSign,
      signature: disabledSignature,
      hmac: disabledHmac,
      mac: disabledMac,
      agreement: disabledAgreement,
    },
    grantee,
  };
}

/** A grant on `key` (the shared grant key by default) for the test grantee, who may also retire it. */
async function newGrant(key: Key = f.grantKey, grantee: Principal = f.grantee): Promise<Grant> {
  const { grantId, grantToken } = await admin().createGrant({
    keyId: key.keyId,
    granteePrincipal: grantee.arn,
    retiringPrincipal: grantee.arn,
    operations: [GrantOperation.ENCRYPT],
  });
  return { keyId: key.keyId, keyArn: key.arn, grantId, grantToken };
}

// ---------------------------------------------------------------------------------------------
// The 15 operations

/** An invalid request: called with dry run true and false, it must get `exception` both times. */
interface InvalidRequest {
  readonly what: string;
  readonly exception: string;
  call(kms: KmsClient, dryRun: boolean): Promise<unknown>;
}

interface Operation {
  readonly name: string;
  /** The IAM actions the request needs. */
  readonly actions: readonly string[];
  /** Whether the request works on a grant (RetireGrant, RevokeGrant). */
  readonly onGrant?: true;
  /** A valid request with dry_run set. */
  dryRun(kms: KmsClient, grant: Grant | undefined): Promise<unknown>;
  readonly invalid: readonly InvalidRequest[];
}

const tooLong = new Uint8Array(4097).fill(0x61);
const wellFormedUnknownGrantId = "0".repeat(64);

const operations: readonly Operation[] = [
  {
    name: "Encrypt",
    actions: ["kms:Encrypt"],
    dryRun: (kms) => kms.encrypt({ keyId: f.symmetric.keyId, plaintext: message, dryRun: true }),
    invalid: [
      { what: "a 4097-byte plaintext", exception: "ValidationException", call: (kms, dryRun) => kms.encrypt({ keyId: f.symmetric.keyId, plaintext: tooLong, dryRun }) },
      { what: "an empty plaintext", exception: "ValidationException", call: (kms, dryRun) => kms.encrypt({ keyId: f.symmetric.keyId, plaintext: new Uint8Array(0), dryRun }) },
      { what: "a disabled key", exception: "DisabledException", call: (kms, dryRun) => kms.encrypt({ keyId: f.disabled.symmetric.keyId, plaintext: message, dryRun }) },
      { what: "a signing key", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.encrypt({ keyId: f.sign.keyId, plaintext: message, dryRun }) },
    ],
  },
  {
    name: "Decrypt",
    actions: ["kms:Decrypt"],
    dryRun: (kms) => kms.decrypt({ ciphertextBlob: f.ciphertext, dryRun: true }),
    invalid: [
      { what: "a ciphertext of a disabled key", exception: "DisabledException", call: (kms, dryRun) => kms.decrypt({ ciphertextBlob: f.disabled.ciphertext, dryRun }) },
      {
        what: "the wrong encryption context",
        exception: "InvalidCiphertextException",
        call: (kms, dryRun) => kms.decrypt({ ciphertextBlob: f.ciphertext, encryptionContext: { not: "given at encryption" }, dryRun }),
      },
      { what: "key_id naming another key", exception: "IncorrectKeyException", call: (kms, dryRun) => kms.decrypt({ ciphertextBlob: f.ciphertext, keyId: f.other.keyId, dryRun }) },
      { what: "a garbage ciphertext", exception: "InvalidCiphertextException", call: (kms, dryRun) => kms.decrypt({ ciphertextBlob: randomBytes(80), dryRun }) },
    ],
  },
  {
    name: "ReEncrypt",
    actions: ["kms:ReEncryptFrom", "kms:ReEncryptTo"],
    dryRun: (kms) => kms.reEncrypt({ ciphertextBlob: f.ciphertext, sourceKeyId: f.symmetric.keyId, destinationKeyId: f.other.keyId, dryRun: true }),
    invalid: [
      { what: "a disabled destination", exception: "DisabledException", call: (kms, dryRun) => kms.reEncrypt({ ciphertextBlob: f.ciphertext, destinationKeyId: f.disabled.symmetric.keyId, dryRun }) },
      { what: "a signing key as destination", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.reEncrypt({ ciphertextBlob: f.ciphertext, destinationKeyId: f.sign.keyId, dryRun }) },
      { what: "no destination", exception: "ValidationException", call: (kms, dryRun) => kms.reEncrypt({ ciphertextBlob: f.ciphertext, dryRun }) },
      { what: "a ciphertext of a disabled source key", exception: "DisabledException", call: (kms, dryRun) => kms.reEncrypt({ ciphertextBlob: f.disabled.ciphertext, destinationKeyId: f.other.keyId, dryRun }) },
    ],
  },
  {
    name: "GenerateDataKey",
    actions: ["kms:GenerateDataKey"],
    dryRun: (kms) => kms.generateDataKey({ keyId: f.symmetric.keyId, keySpec: DataKeySpec.AES_256, dryRun: true }),
    invalid: [
      { what: "1025 bytes", exception: "ValidationException", call: (kms, dryRun) => kms.generateDataKey({ keyId: f.symmetric.keyId, numberOfBytes: 1025, dryRun }) },
      {
        what: "both key_spec and number_of_bytes",
        exception: "ValidationException",
        call: (kms, dryRun) => kms.generateDataKey({ keyId: f.symmetric.keyId, keySpec: DataKeySpec.AES_256, numberOfBytes: 32, dryRun }),
      },
      { what: "a disabled key", exception: "DisabledException", call: (kms, dryRun) => kms.generateDataKey({ keyId: f.disabled.symmetric.keyId, keySpec: DataKeySpec.AES_256, dryRun }) },
      { what: "an RSA key", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.generateDataKey({ keyId: f.rsa.keyId, keySpec: DataKeySpec.AES_256, dryRun }) },
    ],
  },
  {
    name: "GenerateDataKeyWithoutPlaintext",
    actions: ["kms:GenerateDataKeyWithoutPlaintext"],
    dryRun: (kms) => kms.generateDataKeyWithoutPlaintext({ keyId: f.symmetric.keyId, numberOfBytes: 32, dryRun: true }),
    invalid: [
      { what: "1025 bytes", exception: "ValidationException", call: (kms, dryRun) => kms.generateDataKeyWithoutPlaintext({ keyId: f.symmetric.keyId, numberOfBytes: 1025, dryRun }) },
      {
        what: "both key_spec and number_of_bytes",
        exception: "ValidationException",
        call: (kms, dryRun) => kms.generateDataKeyWithoutPlaintext({ keyId: f.symmetric.keyId, keySpec: DataKeySpec.AES_128, numberOfBytes: 16, dryRun }),
      },
      { what: "a disabled key", exception: "DisabledException", call: (kms, dryRun) => kms.generateDataKeyWithoutPlaintext({ keyId: f.disabled.symmetric.keyId, numberOfBytes: 32, dryRun }) },
      { what: "an HMAC key", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.generateDataKeyWithoutPlaintext({ keyId: f.hmac.keyId, numberOfBytes: 32, dryRun }) },
    ],
  },
  {
    name: "GenerateDataKeyPair",
    actions: ["kms:GenerateDataKeyPair"],
    dryRun: (kms) => kms.generateDataKeyPair({ keyId: f.symmetric.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256, dryRun: true }),
    invalid: [
      { what: "no key_pair_spec", exception: "ValidationException", call: (kms, dryRun) => kms.generateDataKeyPair({ keyId: f.symmetric.keyId, dryRun }) },
      {
        what: "a disabled key",
        exception: "DisabledException",
        call: (kms, dryRun) => kms.generateDataKeyPair({ keyId: f.disabled.symmetric.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256, dryRun }),
      },
      { what: "a signing key", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.generateDataKeyPair({ keyId: f.sign.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256, dryRun }) },
    ],
  },
  {
    name: "GenerateDataKeyPairWithoutPlaintext",
    actions: ["kms:GenerateDataKeyPairWithoutPlaintext"],
    dryRun: (kms) => kms.generateDataKeyPairWithoutPlaintext({ keyId: f.symmetric.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256, dryRun: true }),
    invalid: [
      { what: "no key_pair_spec", exception: "ValidationException", call: (kms, dryRun) => kms.generateDataKeyPairWithoutPlaintext({ keyId: f.symmetric.keyId, dryRun }) },
      {
        what: "a disabled key",
        exception: "DisabledException",
        call: (kms, dryRun) => kms.generateDataKeyPairWithoutPlaintext({ keyId: f.disabled.symmetric.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256, dryRun }),
      },
      {
        what: "a signing key",
        exception: "InvalidKeyUsageException",
        call: (kms, dryRun) => kms.generateDataKeyPairWithoutPlaintext({ keyId: f.sign.keyId, keyPairSpec: DataKeyPairSpec.ECC_NIST_P256, dryRun }),
      },
    ],
  },
  {
    name: "Sign",
    actions: ["kms:Sign"],
    dryRun: (kms) => kms.sign({ keyId: f.sign.keyId, message, signingAlgorithm: S.ECDSA_SHA_256, dryRun: true }),
    invalid: [
      { what: "an RSA algorithm on a P-256 key", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.sign({ keyId: f.sign.keyId, message, signingAlgorithm: S.RSASSA_PSS_SHA_256, dryRun }) },
      { what: "a 4097-byte message", exception: "ValidationException", call: (kms, dryRun) => kms.sign({ keyId: f.sign.keyId, message: tooLong, signingAlgorithm: S.ECDSA_SHA_256, dryRun }) },
      { what: "a disabled key", exception: "DisabledException", call: (kms, dryRun) => kms.sign({ keyId: f.disabled.sign.keyId, message, signingAlgorithm: S.ECDSA_SHA_256, dryRun }) },
      { what: "a symmetric key", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.sign({ keyId: f.symmetric.keyId, message, signingAlgorithm: S.ECDSA_SHA_256, dryRun }) },
    ],
  },
  {
    name: "Verify",
    actions: ["kms:Verify"],
    dryRun: (kms) => kms.verify({ keyId: f.sign.keyId, message, signature: f.signature, signingAlgorithm: S.ECDSA_SHA_256, dryRun: true }),
    invalid: [
      {
        what: "an RSA algorithm on a P-256 key",
        exception: "InvalidKeyUsageException",
        call: (kms, dryRun) => kms.verify({ keyId: f.sign.keyId, message, signature: f.signature, signingAlgorithm: S.RSASSA_PKCS1_V1_5_SHA_256, dryRun }),
      },
      {
        what: "a disabled key",
        exception: "DisabledException",
        call: (kms, dryRun) => kms.verify({ keyId: f.disabled.sign.keyId, message, signature: f.disabled.signature, signingAlgorithm: S.ECDSA_SHA_256, dryRun }),
      },
    ],
  },
  {
    name: "GenerateMac",
    actions: ["kms:GenerateMac"],
    dryRun: (kms) => kms.generateMac({ keyId: f.hmac.keyId, message, macAlgorithm: M.HMAC_SHA_256, dryRun: true }),
    invalid: [
      { what: "HMAC_SHA_384 on an HMAC_256 key", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.generateMac({ keyId: f.hmac.keyId, message, macAlgorithm: M.HMAC_SHA_384, dryRun }) },
      { what: "a 4097-byte message", exception: "ValidationException", call: (kms, dryRun) => kms.generateMac({ keyId: f.hmac.keyId, message: tooLong, macAlgorithm: M.HMAC_SHA_256, dryRun }) },
      { what: "a disabled key", exception: "DisabledException", call: (kms, dryRun) => kms.generateMac({ keyId: f.disabled.hmac.keyId, message, macAlgorithm: M.HMAC_SHA_256, dryRun }) },
      { what: "a symmetric key", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.generateMac({ keyId: f.symmetric.keyId, message, macAlgorithm: M.HMAC_SHA_256, dryRun }) },
    ],
  },
  {
    name: "VerifyMac",
    actions: ["kms:VerifyMac"],
    dryRun: (kms) => kms.verifyMac({ keyId: f.hmac.keyId, message, mac: f.mac, macAlgorithm: M.HMAC_SHA_256, dryRun: true }),
    invalid: [
      { what: "HMAC_SHA_512 on an HMAC_256 key", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.verifyMac({ keyId: f.hmac.keyId, message, mac: f.mac, macAlgorithm: M.HMAC_SHA_512, dryRun }) },
      { what: "a disabled key", exception: "DisabledException", call: (kms, dryRun) => kms.verifyMac({ keyId: f.disabled.hmac.keyId, message, mac: f.disabled.mac, macAlgorithm: M.HMAC_SHA_256, dryRun }) },
    ],
  },
  {
    name: "DeriveSharedSecret",
    actions: ["kms:DeriveSharedSecret"],
    dryRun: (kms) => kms.deriveSharedSecret({ keyId: f.agreement.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: f.peer, dryRun: true }),
    invalid: [
      { what: "a signing key", exception: "InvalidKeyUsageException", call: (kms, dryRun) => kms.deriveSharedSecret({ keyId: f.sign.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: f.peer, dryRun }) },
      {
        what: "a peer key on another curve",
        exception: "ValidationException",
        call: (kms, dryRun) => kms.deriveSharedSecret({ keyId: f.agreement.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: f.peerP384, dryRun }),
      },
      {
        what: "a peer key that is not DER",
        exception: "ValidationException",
        call: (kms, dryRun) => kms.deriveSharedSecret({ keyId: f.agreement.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: utf8("not a key"), dryRun }),
      },
      {
        what: "a disabled key",
        exception: "DisabledException",
        call: (kms, dryRun) => kms.deriveSharedSecret({ keyId: f.disabled.agreement.keyId, keyAgreementAlgorithm: KA.ECDH, publicKey: f.peer, dryRun }),
      },
    ],
  },
  {
    name: "CreateGrant",
    actions: ["kms:CreateGrant"],
    dryRun: (kms) => kms.createGrant({ keyId: f.grantKey.keyId, granteePrincipal: f.grantee.arn, operations: [GrantOperation.ENCRYPT], dryRun: true }),
    invalid: [
      {
        what: "a grantee that is not a principal",
        exception: "ValidationException",
        call: (kms, dryRun) => kms.createGrant({ keyId: f.grantKey.keyId, granteePrincipal: "bob", operations: [GrantOperation.ENCRYPT], dryRun }),
      },
      { what: "no operations", exception: "ValidationException", call: (kms, dryRun) => kms.createGrant({ keyId: f.grantKey.keyId, granteePrincipal: f.grantee.arn, operations: [], dryRun }) },
      {
        what: "SIGN on a symmetric key",
        exception: "ValidationException",
        call: (kms, dryRun) => kms.createGrant({ keyId: f.grantKey.keyId, granteePrincipal: f.grantee.arn, operations: [GrantOperation.SIGN], dryRun }),
      },
    ],
  },
  {
    name: "RetireGrant",
    actions: ["kms:RetireGrant"],
    onGrant: true,
    dryRun: (kms, grant) => kms.retireGrant({ keyId: grant!.keyArn, grantId: grant!.grantId, dryRun: true }),
    invalid: [
      { what: "a malformed grant token", exception: "InvalidGrantTokenException", call: (kms, dryRun) => kms.retireGrant({ grantToken: "not-a-token!", dryRun }) },
      { what: "a malformed grant id", exception: "InvalidGrantIdException", call: (kms, dryRun) => kms.retireGrant({ keyId: f.grantKey.arn, grantId: "not-a-grant", dryRun }) },
      { what: "a grant that does not exist", exception: "NotFoundException", call: (kms, dryRun) => kms.retireGrant({ keyId: f.grantKey.arn, grantId: wellFormedUnknownGrantId, dryRun }) },
    ],
  },
  {
    name: "RevokeGrant",
    actions: ["kms:RevokeGrant"],
    onGrant: true,
    dryRun: (kms, grant) => kms.revokeGrant({ keyId: grant!.keyId, grantId: grant!.grantId, dryRun: true }),
    invalid: [
      { what: "a malformed grant id", exception: "InvalidGrantIdException", call: (kms, dryRun) => kms.revokeGrant({ keyId: f.grantKey.keyId, grantId: "not-a-grant", dryRun }) },
      { what: "a grant that does not exist", exception: "NotFoundException", call: (kms, dryRun) => kms.revokeGrant({ keyId: f.grantKey.keyId, grantId: wellFormedUnknownGrantId, dryRun }) },
      { what: "a key that does not exist", exception: "NotFoundException", call: (kms, dryRun) => kms.revokeGrant({ keyId: randomUUID(), grantId: wellFormedUnknownGrantId, dryRun }) },
    ],
  },
];

/** Asserts a call fails with `exception`; the message names what was called. */
async function expectException(t: ExecutionContext, call: Promise<unknown>, exception: string, what: string): Promise<void> {
  const failure = await failureOf(call);
  t.is(failure.exception, exception, `${what}: ${failure.message}`);
}

/** A dry run answers with the error alone: a DryRunOperationException and nothing else in it. */
async function expectBareDryRun(t: ExecutionContext, call: Promise<unknown>, what: string): Promise<void> {
  let error: ConnectError | undefined;
  try {
    await call;
  } catch (e) {
    error = ConnectError.from(e);
  }
  if (!error) return void t.fail(`${what}: the dry run succeeded and returned a response`);
  const details = error.findDetails(ErrorDetailSchema);
  t.is(details[0]?.exception, DRY_RUN, `${what}: ${error.rawMessage}`);
  const detailTypes = error.details.map((d) => ("type" in d ? d.type : d.desc.typeName));
  t.deepEqual(detailTypes, ["kms.v1.ErrorDetail"], `${what}: the error carries only its ErrorDetail`);
  const binary = [...error.metadata.keys()].filter((k) => k.endsWith("-bin") && k !== "grpc-status-details-bin");
  t.deepEqual(binary, [], `${what}: no binary metadata rides along with the error`);
}

// ---------------------------------------------------------------------------------------------
// (a) The administrator's valid dry run is DryRunOperationException, through every client.

for (const kind of allClients) {
  for (const op of operations) {
    test(`${kind.name}: ${op.name} with dry_run by the administrator is DryRunOperationException`, async (t) => {
      const grant = op.onGrant ? await newGrant() : undefined;
      await expectException(t, op.dryRun(kind.connect(server), grant), DRY_RUN, `${op.name} dry run`);
    });
  }
}

test("connect-grpc: dry runs of RSA Encrypt and Decrypt are DryRunOperationException too", async (t) => {
  const kms = admin();
  await expectBareDryRun(t, kms.encrypt({ keyId: f.rsa.keyId, plaintext: message, encryptionAlgorithm: E.RSAES_OAEP_SHA_256, dryRun: true }), "RSA Encrypt");
  await expectBareDryRun(t, kms.decrypt({ keyId: f.rsa.keyId, ciphertextBlob: f.rsaCiphertext, encryptionAlgorithm: E.RSAES_OAEP_SHA_256, dryRun: true }), "RSA Decrypt");
  await expectBareDryRun(
    t,
    kms.reEncrypt({ ciphertextBlob: f.rsaCiphertext, sourceKeyId: f.rsa.keyId, sourceEncryptionAlgorithm: E.RSAES_OAEP_SHA_256, destinationKeyId: f.symmetric.keyId, dryRun: true }),
    "ReEncrypt from RSA",
  );
});

// ---------------------------------------------------------------------------------------------
// (b) Nothing happened.

test("connect-grpc: a dry run of every operation answers with the bare exception: no ciphertext, plaintext, key, signature, MAC or secret", async (t) => {
  for (const op of operations) {
    const grant = op.onGrant ? await newGrant() : undefined;
    await expectBareDryRun(t, op.dryRun(admin(), grant), op.name);
  }
});

test("connect-grpc: a dry-run CreateGrant creates no grant", async (t) => {
  const kms = admin();
  const key = await newKey();
  const grantee = await newUser("dry-grantee");
  const request = { keyId: key.keyId, granteePrincipal: grantee.arn, retiringPrincipal: grantee.arn, operations: [GrantOperation.ENCRYPT], name: "dry-run-grant" };
  await expectBareDryRun(t, kms.createGrant({ ...request, dryRun: true }), "CreateGrant");
  await expectBareDryRun(t, kms.createGrant({ ...request, name: "", dryRun: true }), "CreateGrant without a name");
  t.deepEqual((await kms.listGrants({ keyId: key.keyId })).grants, [], "ListGrants is unchanged");
  t.deepEqual((await kms.listRetirableGrants({ retiringPrincipal: grantee.arn })).grants, [], "ListRetirableGrants is unchanged");
  await expectException(t, grantee.kms().encrypt({ keyId: key.keyId, plaintext: message }), DENIED, "the grantee after the dry run");

  // The real request then makes exactly one grant, which works.
  const { grantId } = await kms.createGrant(request);
  t.deepEqual((await kms.listGrants({ keyId: key.keyId })).grants.map((g) => g.grantId), [grantId]);
  t.true((await grantee.kms().encrypt({ keyId: key.keyId, plaintext: message })).ciphertextBlob.length > 0);
});

test("connect-grpc: dry-run RetireGrant (by token as the retiring principal, by key and id as the administrator) leaves the grant in place", async (t) => {
  const key = await newKey();
  const grantee = await newUser("retire-grantee");
  const grant = await newGrant(key, grantee);
  await expectBareDryRun(t, grantee.kms().retireGrant({ grantToken: grant.grantToken, dryRun: true }), "RetireGrant by token");
  await expectBareDryRun(t, grantee.kms().retireGrant({ keyId: key.arn, grantId: grant.grantId, dryRun: true }), "RetireGrant by key and id, as the retiring principal");
  await expectBareDryRun(t, admin().retireGrant({ keyId: key.arn, grantId: grant.grantId, dryRun: true }), "RetireGrant by the administrator");
  t.deepEqual((await admin().listGrants({ keyId: key.keyId })).grants.map((g) => g.grantId), [grant.grantId], "the grant is still listed");
  t.deepEqual((await admin().listRetirableGrants({ retiringPrincipal: grantee.arn })).grants.map((g) => g.grantId), [grant.grantId]);
  t.true((await grantee.kms().encrypt({ keyId: key.keyId, plaintext: message })).ciphertextBlob.length > 0, "the grant still works");

  await grantee.kms().retireGrant({ grantToken: grant.grantToken });
  t.deepEqual((await admin().listGrants({ keyId: key.keyId })).grants, [], "the real RetireGrant then retires it");
  await expectException(t, grantee.kms().encrypt({ keyId: key.keyId, plaintext: message }), DENIED, "the grantee after the real RetireGrant");
});

test("connect-grpc: a dry-run RevokeGrant leaves the grant in place", async (t) => {
  const key = await newKey();
  const grantee = await newUser("revoke-grantee");
  const grant = await newGrant(key, grantee);
  await expectBareDryRun(t, admin().revokeGrant({ keyId: key.keyId, grantId: grant.grantId, dryRun: true }), "RevokeGrant by key id");
  await expectBareDryRun(t, admin().revokeGrant({ keyId: key.arn, grantId: grant.grantId, dryRun: true }), "RevokeGrant by key ARN");
  t.deepEqual((await admin().listGrants({ keyId: key.keyId })).grants.map((g) => g.grantId), [grant.grantId], "the grant is still listed");
  t.true((await grantee.kms().encrypt({ keyId: key.keyId, plaintext: message })).ciphertextBlob.length > 0, "the grant still works");

  await admin().revokeGrant({ keyId: key.keyId, grantId: grant.grantId });
  t.deepEqual((await admin().listGrants({ keyId: key.keyId })).grants, [], "the real RevokeGrant then revokes it");
  await expectException(t, grantee.kms().encrypt({ keyId: key.keyId, plaintext: message }), DENIED, "the grantee after the real RevokeGrant");
});

test("connect-grpc: a grantee's dry runs under its grant are DryRunOperationException and spend nothing of the grant", async (t) => {
  const key = await newKey();
  const grantee = await newUser("grant-dry");
  const grant = await newGrant(key, grantee);
  await expectBareDryRun(t, grantee.kms().encrypt({ keyId: key.keyId, plaintext: message, grantTokens: [grant.grantToken], dryRun: true }), "Encrypt under the grant");
  await expectException(t, grantee.kms().generateDataKey({ keyId: key.keyId, numberOfBytes: 32, dryRun: true }), DENIED, "GenerateDataKey is not in the grant");
  t.true((await grantee.kms().encrypt({ keyId: key.keyId, plaintext: message })).ciphertextBlob.length > 0);
});

// ---------------------------------------------------------------------------------------------
// (c) Authorization comes before the dry-run answer.

for (const op of operations) {
  test(`connect-grpc: ${op.name} dry run by a user whose identity policy does not allow ${op.actions.join(" and ")} is AccessDeniedException`, async (t) => {
    const allowedActions = ALL_ACTIONS.filter((a) => !op.actions.includes(a));
    const denied = await newUser(`no-${op.name}`, policyOf(allow(allowedActions)));
    await expectException(t, op.dryRun(denied.kms(), op.onGrant ? await newGrant() : undefined), DENIED, `${op.name} dry run, action not allowed`);

    // The same request by a user allowed exactly the action gets through to the dry-run answer.
    const allowed = await newUser(`only-${op.name}`, policyOf(allow(op.actions)));
    await expectException(t, op.dryRun(allowed.kms(), op.onGrant ? await newGrant() : undefined), DRY_RUN, `${op.name} dry run, action allowed`);
  });
}

test("connect-grpc: a dry-run ReEncrypt needs both kms:ReEncryptFrom and kms:ReEncryptTo", async (t) => {
  const reEncrypt = operations.find((o) => o.name === "ReEncrypt")!;
  const fromOnly = await newUser("re-from", policyOf(allow("kms:ReEncryptFrom")));
  const toOnly = await newUser("re-to", policyOf(allow("kms:ReEncryptTo")));
  await expectException(t, reEncrypt.dryRun(fromOnly.kms(), undefined), DENIED, "ReEncryptFrom only");
  await expectException(t, reEncrypt.dryRun(toOnly.kms(), undefined), DENIED, "ReEncryptTo only");
});

test("connect-grpc: a user with no policies gets AccessDeniedException for every dry run", async (t) => {
  const nobody = await newUser("nobody");
  for (const op of operations) {
    await expectException(t, op.dryRun(nobody.kms(), op.onGrant ? await newGrant() : undefined), DENIED, `${op.name} dry run`);
  }
});

// ---------------------------------------------------------------------------------------------
// (d) An invalid dry run gets the error the real request would get.

for (const op of operations) {
  test(`connect-grpc: an invalid ${op.name} with dry_run gets its error, not DryRunOperationException`, async (t) => {
    const kms = admin();
    for (const invalid of op.invalid) {
      await expectException(t, invalid.call(kms, false), invalid.exception, `${op.name} with ${invalid.what}, no dry run`);
      await expectException(t, invalid.call(kms, true), invalid.exception, `${op.name} with ${invalid.what}, dry run`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// IGNORE_CIPHERTEXT

const garbage = (): Uint8Array => randomBytes(64);

test("connect-grpc: Decrypt dry run with IGNORE_CIPHERTEXT does not read the ciphertext and checks the key named by key_id", async (t) => {
  const kms = admin();
  const decrypt = (keyId: string, ciphertextBlob: Uint8Array) => kms.decrypt({ keyId, ciphertextBlob, dryRun: true, dryRunModifiers: [IGNORE_CIPHERTEXT] });
  await expectBareDryRun(t, decrypt(f.symmetric.keyId, garbage()), "garbage ciphertext");
  await expectBareDryRun(t, decrypt(f.symmetric.keyId, new Uint8Array(0)), "empty ciphertext");
  await expectBareDryRun(t, decrypt(f.symmetric.arn, garbage()), "key ARN");
  await expectBareDryRun(t, decrypt(f.rsa.keyId, garbage()), "an RSA key");
  await expectBareDryRun(t, decrypt(f.other.keyId, f.ciphertext), "a real ciphertext of another key is not looked at either");
  await expectException(t, decrypt(f.disabled.symmetric.keyId, garbage()), "DisabledException", "a disabled key");
  await expectException(t, decrypt(f.sign.keyId, garbage()), "InvalidKeyUsageException", "a signing key");
  await expectException(t, decrypt(randomUUID(), garbage()), "NotFoundException", "a key that does not exist");
});

test("connect-grpc: Decrypt dry run with IGNORE_CIPHERTEXT: a user allowed kms:Decrypt only on another key is denied", async (t) => {
  const user = await newUser("decrypt-other", policyOf(allow("kms:Decrypt", f.other.arn)));
  const decrypt = (keyId: string) => user.kms().decrypt({ keyId, ciphertextBlob: garbage(), dryRun: true, dryRunModifiers: [IGNORE_CIPHERTEXT] });
  await expectException(t, decrypt(f.symmetric.keyId), DENIED, "the key the policy does not name");
  await expectException(t, decrypt(f.other.keyId), DRY_RUN, "the key the policy names");
});

test("connect-grpc: Decrypt dry run with IGNORE_CIPHERTEXT needs key_id; without the modifier, garbage is InvalidCiphertextException", async (t) => {
  const kms = admin();
  await expectException(t, kms.decrypt({ ciphertextBlob: garbage(), dryRun: true, dryRunModifiers: [IGNORE_CIPHERTEXT] }), "ValidationException", "no key_id");
  await expectException(t, kms.decrypt({ ciphertextBlob: new Uint8Array(0), dryRun: true, dryRunModifiers: [IGNORE_CIPHERTEXT] }), "ValidationException", "no key_id, empty ciphertext");
  await expectException(t, kms.decrypt({ ciphertextBlob: f.ciphertext, dryRun: true, dryRunModifiers: [IGNORE_CIPHERTEXT] }), "ValidationException", "no key_id, a real ciphertext");
  await expectException(t, kms.decrypt({ keyId: f.symmetric.keyId, ciphertextBlob: garbage(), dryRun: true }), "InvalidCiphertextException", "garbage, no modifier, with key_id");
  await expectException(t, kms.decrypt({ ciphertextBlob: garbage(), dryRun: true }), "InvalidCiphertextException", "garbage, no modifier");
});

test("connect-grpc: ReEncrypt dry run with IGNORE_CIPHERTEXT does not read the ciphertext and checks the key named by source_key_id", async (t) => {
  const kms = admin();
  const reEncrypt = (sourceKeyId: string, ciphertextBlob: Uint8Array, destinationKeyId = f.other.keyId) =>
    kms.reEncrypt({ sourceKeyId, destinationKeyId, ciphertextBlob, dryRun: true, dryRunModifiers: [IGNORE_CIPHERTEXT] });
  await expectBareDryRun(t, reEncrypt(f.symmetric.keyId, garbage()), "garbage ciphertext");
  await expectBareDryRun(t, reEncrypt(f.symmetric.keyId, new Uint8Array(0)), "empty ciphertext");
  await expectBareDryRun(t, reEncrypt(f.rsa.arn, garbage()), "an RSA source key");
  await expectException(t, reEncrypt(f.disabled.symmetric.keyId, garbage()), "DisabledException", "a disabled source key");
  await expectException(t, reEncrypt(f.sign.keyId, garbage()), "InvalidKeyUsageException", "a signing source key");
  await expectException(t, reEncrypt(f.symmetric.keyId, garbage(), f.disabled.symmetric.keyId), "DisabledException", "a disabled destination");
});

test("connect-grpc: ReEncrypt dry run with IGNORE_CIPHERTEXT: a user allowed kms:ReEncryptFrom only on another key is denied", async (t) => {
  const user = await newUser("reencrypt-other", policyOf(allow("kms:ReEncryptFrom", f.other.arn), allow("kms:ReEncryptTo")));
  const reEncrypt = (sourceKeyId: string) =>
    user.kms().reEncrypt({ sourceKeyId, destinationKeyId: f.symmetric.keyId, ciphertextBlob: garbage(), dryRun: true, dryRunModifiers: [IGNORE_CIPHERTEXT] });
  await expectException(t, reEncrypt(f.symmetric.keyId), DENIED, "the source key the policy does not name");
  await expectException(t, reEncrypt(f.other.keyId), DRY_RUN, "the source key the policy names");
});

test("connect-grpc: ReEncrypt dry run with IGNORE_CIPHERTEXT needs source_key_id; without the modifier, garbage is InvalidCiphertextException", async (t) => {
  const kms = admin();
  await expectException(
    t,
    kms.reEncrypt({ destinationKeyId: f.other.keyId, ciphertextBlob: garbage(), dryRun: true, dryRunModifiers: [IGNORE_CIPHERTEXT] }),
    "ValidationException",
    "no source_key_id",
  );
  await expectException(
    t,
    kms.reEncrypt({ destinationKeyId: f.other.keyId, ciphertextBlob: new Uint8Array(0), dryRun: true, dryRunModifiers: [IGNORE_CIPHERTEXT] }),
    "ValidationException",
    "no source_key_id, empty ciphertext",
  );
  await expectException(
    t,
    kms.reEncrypt({ destinationKeyId: f.other.keyId, ciphertextBlob: f.ciphertext, dryRun: true, dryRunModifiers: [IGNORE_CIPHERTEXT] }),
    "ValidationException",
    "no source_key_id, a real ciphertext",
  );
  await expectException(
    t,
    kms.reEncrypt({ sourceKeyId: f.symmetric.keyId, destinationKeyId: f.other.keyId, ciphertextBlob: garbage(), dryRun: true }),
    "InvalidCiphertextException",
    "garbage, no modifier, with source_key_id",
  );
  await expectException(t, kms.reEncrypt({ destinationKeyId: f.other.keyId, ciphertextBlob: garbage(), dryRun: true }), "InvalidCiphertextException", "garbage, no modifier");
});
