import { readFile } from "node:fs/promises";
import { Code } from "@connectrpc/connect";
import test from "ava";
import { errorCatalog } from "../server/errors/catalog.js";

test("docs/errors.md lists exactly the catalog, with the same codes and HTTP statuses", async (t) => {
  const doc = await readFile(new URL("../docs/errors.md", import.meta.url), "utf8");
  const rows = [...doc.matchAll(/^\| `(\w+)` \| `(\w+)` \| (\d+) \| (.+) \|$/gm)].map(([, name, code, http, when]) => ({ name, code, http: Number(http), when }));
  const documented = Object.fromEntries(rows.map((r) => [r.name, { code: r.code, httpStatus: r.http, when: r.when }]));
  const catalog = Object.fromEntries(Object.entries(errorCatalog).map(([name, e]) => [name, { code: grpcCodeName(e.code), httpStatus: e.httpStatus, when: e.when }]));
  t.deepEqual(documented, catalog);
});

/** The canonical gRPC name of a code: Code.NotFound -> NOT_FOUND. */
function grpcCodeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

test("the catalog has every exception named in the KMS reference, the authentication ones and the AWS endpoint's", (t) => {
  const expected = [
    "NotFoundException", "AlreadyExistsException", "DisabledException", "KMSInvalidStateException", "InvalidCiphertextException",
    "IncorrectKeyException", "InvalidKeyUsageException", "KMSInvalidSignatureException", "KMSInvalidMacException", "InvalidAliasNameException",
    "InvalidArnException", "MalformedPolicyDocumentException", "InvalidGrantIdException", "InvalidGrantTokenException", "InvalidMarkerException",
    "LimitExceededException", "TagException", "UnsupportedOperationException", "ConflictException", "DryRunOperationException",
    "ExpiredImportTokenException", "InvalidImportTokenException", "IncorrectKeyMaterialException", "AccessDeniedException",
    "ThrottlingException", "ValidationException", "KMSInternalException",
    // Authentication, with the names AWS uses for the same failures.
    "MissingAuthenticationTokenException", "UnrecognizedClientException", "ExpiredTokenException",
    // The AWS endpoint's framing and SigV4.
    "SerializationException", "UnknownOperationException", "IncompleteSignatureException", "InvalidSignatureException",
  ];
  t.deepEqual(Object.keys(errorCatalog).sort(), [...expected].sort());
});

test("the codes follow the contract's mapping", (t) => {
  t.is(errorCatalog.NotFoundException.code, Code.NotFound);
  t.is(errorCatalog.DisabledException.code, Code.FailedPrecondition);
  t.is(errorCatalog.KMSInvalidStateException.code, Code.FailedPrecondition);
  t.is(errorCatalog.InvalidCiphertextException.code, Code.InvalidArgument);
  t.is(errorCatalog.ValidationException.code, Code.InvalidArgument);
  t.is(errorCatalog.AlreadyExistsException.code, Code.AlreadyExists);
  t.is(errorCatalog.AccessDeniedException.code, Code.PermissionDenied);
  t.is(errorCatalog.LimitExceededException.code, Code.ResourceExhausted);
});
