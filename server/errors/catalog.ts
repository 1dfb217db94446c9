import { Code } from "@connectrpc/connect";

/** One entry of the error catalog: how an AWS exception travels over gRPC and over HTTP. */
export interface CatalogEntry {
  /** The gRPC status code the exception is sent with. */
  readonly code: Code;
  /** The HTTP status the AWS JSON protocol sends it with. */
  readonly httpStatus: number;
  /** When the server raises it, for docs/errors.md. */
  readonly when: string;
}

/**
 * The one catalog of errors the server returns. Clients branch on the exception name carried
 * in the ErrorDetail; docs/errors.md lists the same table and a test keeps the two in step.
 */
export const errorCatalog = {
  AccessDeniedException: { code: Code.PermissionDenied, httpStatus: 400, when: "No policy or grant allows the call, or a statement denies it." },
  AlreadyExistsException: { code: Code.AlreadyExists, httpStatus: 400, when: "An alias (or other named resource) with that name exists already." },
  ConflictException: { code: Code.Aborted, httpStatus: 400, when: "A conflicting operation on the key or alias is in progress (a rotation; an alias moved while a request on it was authorized)." },
  DisabledException: { code: Code.FailedPrecondition, httpStatus: 400, when: "The key is disabled." },
  DryRunOperationException: { code: Code.FailedPrecondition, httpStatus: 412, when: "A dry run would have succeeded." },
  ExpiredTokenException: { code: Code.Unauthenticated, httpStatus: 400, when: "The session token has expired: log in again." },
  ExpiredImportTokenException: { code: Code.InvalidArgument, httpStatus: 400, when: "The import token has expired." },
  IncompleteSignatureException: { code: Code.Unauthenticated, httpStatus: 400, when: "AWS endpoint: the SigV4 Authorization header is malformed or lacks a required part." },
  IncorrectKeyException: { code: Code.InvalidArgument, httpStatus: 400, when: "The key named in the request is not the key that made the ciphertext." },
  IncorrectKeyMaterialException: { code: Code.InvalidArgument, httpStatus: 400, when: "Re-imported key material differs from the key's material." },
  InvalidAliasNameException: { code: Code.InvalidArgument, httpStatus: 400, when: "The alias name breaks the alias rules or is reserved." },
  InvalidArnException: { code: Code.InvalidArgument, httpStatus: 400, when: "An ARN is malformed." },
  InvalidCiphertextException: { code: Code.InvalidArgument, httpStatus: 400, when: "The ciphertext, its encryption context or the key it names does not match; the message never says which." },
  InvalidGrantIdException: { code: Code.InvalidArgument, httpStatus: 400, when: "The grant id is not valid for the key." },
  InvalidGrantTokenException: { code: Code.InvalidArgument, httpStatus: 400, when: "The grant token is not valid." },
  InvalidImportTokenException: { code: Code.InvalidArgument, httpStatus: 400, when: "The import token is not valid for the key." },
  InvalidKeyUsageException: { code: Code.InvalidArgument, httpStatus: 400, when: "The key's usage or spec does not allow the operation or algorithm." },
  InvalidMarkerException: { code: Code.InvalidArgument, httpStatus: 400, when: "The pagination marker was not returned by this listing." },
  InvalidSignatureException: { code: Code.Unauthenticated, httpStatus: 400, when: "AWS endpoint: the SigV4 signature does not match, or its date is more than 15 minutes off." },
  MissingAuthenticationTokenException: { code: Code.Unauthenticated, httpStatus: 403, when: "The request carries no credentials (authorization: Bearer <session token>)." },
  KMSInternalException: { code: Code.Internal, httpStatus: 500, when: "An internal error; the log has the cause under the request id." },
  KMSInvalidMacException: { code: Code.InvalidArgument, httpStatus: 400, when: "VerifyMac: the MAC does not verify." },
  KMSInvalidSignatureException: { code: Code.InvalidArgument, httpStatus: 400, when: "Verify: the signature does not verify." },
  KMSInvalidStateException: { code: Code.FailedPrecondition, httpStatus: 400, when: "The key's state does not allow the operation (pending deletion, pending import, ...)." },
  LimitExceededException: { code: Code.ResourceExhausted, httpStatus: 400, when: "A resource quota or size limit would be exceeded." },
  MalformedPolicyDocumentException: { code: Code.InvalidArgument, httpStatus: 400, when: "A policy is not valid, or would lock its author out." },
  NotFoundException: { code: Code.NotFound, httpStatus: 400, when: "The key, alias or other resource does not exist in the request's region." },
  SerializationException: { code: Code.InvalidArgument, httpStatus: 400, when: "AWS endpoint: the body is not JSON, or a member has the wrong JSON type." },
  TagException: { code: Code.InvalidArgument, httpStatus: 400, when: "A tag breaks the tag rules." },
  ThrottlingException: { code: Code.ResourceExhausted, httpStatus: 400, when: "The request rate is over the quota." },
  UnknownOperationException: { code: Code.Unimplemented, httpStatus: 400, when: "AWS endpoint: X-Amz-Target names no operation of TrentService." },
  UnrecognizedClientException: { code: Code.Unauthenticated, httpStatus: 400, when: "The credentials are not valid: unknown, malformed or revoked token, or wrong access key." },
  UnsupportedOperationException: { code: Code.Unimplemented, httpStatus: 400, when: "The operation is not supported for this key or not implemented by this server." },
  ValidationException: { code: Code.InvalidArgument, httpStatus: 400, when: "A parameter is missing, out of range or malformed." },
} as const satisfies Record<string, CatalogEntry>;

/** The name of an exception in the catalog. */
export type ExceptionName = keyof typeof errorCatalog;
