import { createHash } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { secretsEqual } from "../identity/secrets.js";
import { AwsProtocolError } from "./aws-errors.js";

/**
 * Verification of AWS Signature Version 4 on an incoming request. The signature is not computed
 * here: the request is signed again with @smithy/signature-v4 (the signer of the AWS SDK for
 * JavaScript), with the caller's secret, the request's date and exactly the headers the client
 * signed, and the two signatures are compared in constant time. What is checked here is only what
 * a signer does not: the shape of the Authorization header, the credential scope, the clock, the
 * payload hash header and the session token.
 */

/** The request as received. */
export interface SigV4Request {
  /** The HTTP method, e.g. "POST". */
  readonly method: string;
  /** The path of the request target as received (percent-encoding kept), without the query: "/" for KMS. */
  readonly path: string;
  /** The raw query string, without "?" ("" or undefined when none). */
  readonly query?: string | undefined;
  /** The headers, names in lower case (node's IncomingMessage.headers); HTTP/2's ":authority" stands for "host". */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body's bytes. */
  readonly body: Uint8Array;
}

/** The secret of an access key, and the session token a temporary one must come with. */
export interface SigningSecret {
  readonly secret: string;
  /** Set for temporary credentials: the request must carry it in X-Amz-Security-Token. */
  readonly sessionToken?: string | undefined;
  /**
   * For temporary credentials whose token is stored only as a hash: whether the request's
   * X-Amz-Security-Token is the one (it must then be present).
   */
  readonly checkSessionToken?: (token: string) => boolean;
}

export interface SigV4VerifyOptions {
  /** The secret of an access key id; undefined when the key is unknown or not usable. */
  readonly secretFor: (accessKeyId: string) => Promise<SigningSecret | undefined>;
  /** The current time (ms since the epoch, or a Date). */
  readonly now: number | Date;
  /** The service the credential scope must name: "kms". */
  readonly service?: string;
  /** How far X-Amz-Date may be from now, either way: 15 minutes, as AWS allows. */
  readonly maxSkewMs?: number;
  /** Headers the signature must cover beyond host and x-amz-date (the AWS endpoint: x-amz-target). */
  readonly requiredSignedHeaders?: readonly string[];
  /** Whether the scope's region is served; every region is accepted when not given. */
  readonly isKnownRegion?: (region: string) => boolean;
}

/** Who signed the request, and for which region. */
export interface VerifiedSigV4 {
  readonly accessKeyId: string;
  /** The region of the credential scope: the region the request is for. */
  readonly region: string;
  /** The service of the credential scope ("kms"). */
  readonly service: string;
  /** The X-Amz-Security-Token the request carried, for temporary credentials. */
  readonly sessionToken?: string;
  /** X-Amz-Date. */
  readonly signingDate: Date;
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN = "The security token included in the request is invalid.";

interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/**
 * Verifies the SigV4 Authorization header of a request. Resolves to the signer and the scope's
 * region; rejects with an AwsProtocolError naming the AWS exception:
 * - no Authorization header: MissingAuthenticationTokenException;
 * - a malformed one, another algorithm, a missing X-Amz-Date, or host / x-amz-date not signed:
 *   IncompleteSignatureException;
 * - a scope of another date, service or an unknown region, a date more than 15 minutes away
 *   ("Signature expired: ..." / "Signature not yet current: ..."), an x-amz-content-sha256 that is
 *   not the body's hash, a signed header missing, or a signature that does not match:
 *   InvalidSignatureException (the SDKs treat it as a clock-skew error, see below);
 * - an unknown access key, or a session token missing, unexpected or wrong: UnrecognizedClientException.
 */
export async function verifySigV4(request: SigV4Request, options: SigV4VerifyOptions): Promise<VerifiedSigV4> {
  const headers = request.headers;
  const authorization = header(headers, "authorization");
  if (authorization === undefined || authorization.trim() === "") throw new AwsProtocolError("MissingAuthenticationTokenException", "Missing Authentication Token");
  const auth = parseAuthorization(authorization);

  const amzDate = header(headers, "x-amz-date");
  if (amzDate === undefined) throw new AwsProtocolError("IncompleteSignatureException", "Authorization header requires existence of a 'X-Amz-Date' header.");
  const signingDate = parseAmzDate(amzDate);
  if (!auth.signedHeaders.includes("host")) throw new AwsProtocolError("IncompleteSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  if (!auth.signedHeaders.includes("x-amz-date")) throw new AwsProtocolError("IncompleteSignatureException", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
  // The operation and the session token decide what the request does and who makes it: a
  // signature that does not cover them could be replayed as another operation or session.
  for (const name of [...(options.requiredSignedHeaders ?? []), ...(header(headers, "x-amz-security-token") !== undefined ? ["x-amz-security-token"] : [])]) {
    if (!auth.signedHeaders.includes(name)) throw new AwsProtocolError("IncompleteSignatureException", `'${name}' must be a 'SignedHeader' in the AWS Authorization.`);
  }

  const service = options.service ?? "kms";
  if (auth.terminator !== "aws4_request") throw new AwsProtocolError("InvalidSignatureException", "Credential should be scoped with a valid terminator: 'aws4_request'.");
  if (auth.date !== amzDate.slice(0, 8)) throw new AwsProtocolError("InvalidSignatureException", `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
  if (auth.service !== service) throw new AwsProtocolError("InvalidSignatureException", `Credential should be scoped to correct service: '${service}'.`);
  if (!/^[a-z0-9-]{1,64}$/.test(auth.region) || (options.isKnownRegion && !options.isKnownRegion(auth.region))) {
    throw new AwsProtocolError("InvalidSignatureException", "Credential should be scoped to a valid region.");
  }

  const now = typeof options.now === "number" ? options.now : options.now.getTime();
  const skew = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const minutes = `${Math.round(skew / 60_000)} min.`;
  if (signingDate.getTime() < now - skew) {
    throw new AwsProtocolError("InvalidSignatureException", `Signature expired: ${amzDate} is now earlier than ${amzFormat(now - skew)} (${amzFormat(now)} - ${minutes})`);
  }
  if (signingDate.getTime() > now + skew) {
    throw new AwsProtocolError("InvalidSignatureException", `Signature not yet current: ${amzDate} is still later than ${amzFormat(now + skew)} (${amzFormat(now)} + ${minutes})`);
  }

  // The signer takes a present x-amz-content-sha256 as the payload's hash without looking at the
  // body: a signed header with another hash would let the body be swapped. Check it here.
  const contentSha256 = header(headers, "x-amz-content-sha256");
  if (contentSha256 !== undefined && contentSha256 !== createHash("sha256").update(request.body).digest("hex")) {
    throw new AwsProtocolError("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const secret = await options.secretFor(auth.accessKeyId);
  if (!secret) throw new AwsProtocolError("UnrecognizedClientException", INVALID_TOKEN);
  const token = header(headers, "x-amz-security-token");
  const tokenRefused = secret.checkSessionToken
    ? token === undefined || !secret.checkSessionToken(token)
    : secret.sessionToken !== undefined
      ? token === undefined || !secretsEqual(token, secret.sessionToken)
      : token !== undefined;
  if (tokenRefused) {
    throw new AwsProtocolError("UnrecognizedClientException", INVALID_TOKEN);
  }

  // Re-sign a copy holding exactly the signed headers, with the same credentials, scope and date.
  const signed: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of auth.signedHeaders) {
    const value = header(headers, name) ?? (name === "host" ? header(headers, ":authority") : undefined);
    if (value === undefined) throw new AwsProtocolError("InvalidSignatureException", `${SIGNATURE_MISMATCH} The signed header '${name}' is not in the request.`);
    signed[name] = value;
  }
  const tokenSigned = auth.signedHeaders.includes("x-amz-security-token");
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret.secret, ...(tokenSigned && token !== undefined ? { sessionToken: token } : {}) },
    region: auth.region,
    service: auth.service,
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: true,
    applyChecksum: false,
  });
  const resigned = await signer.sign(
    {
      method: request.method.toUpperCase(),
      protocol: "https:",
      hostname: signed["host"] ?? "",
      path: request.path,
      query: parseQuery(request.query ?? ""),
      headers: signed,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(auth.signedHeaders) },
  );
  const expected = parseAuthorization(resigned.headers["authorization"]!);
  if (expected.signedHeaders.join(";") !== auth.signedHeaders.join(";") || !secretsEqual(expected.signature, auth.signature)) {
    throw new AwsProtocolError("InvalidSignatureException", SIGNATURE_MISMATCH);
  }
  return {
    accessKeyId: auth.accessKeyId,
    region: auth.region,
    service: auth.service,
    signingDate,
    ...(token !== undefined ? { sessionToken: token } : {}),
  };
}

/** One header's value; repeated headers are joined with ",", as SigV4 canonicalizes them. */
function header(headers: SigV4Request["headers"], name: string): string | undefined {
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.join(",");
}

/** "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=<hex>". */
function parseAuthorization(value: string): ParsedAuthorization {
  const incomplete = (what: string) => new AwsProtocolError("IncompleteSignatureException", `${what} Authorization=${value.slice(0, 40)}...`);
  const space = value.indexOf(" ");
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== ALGORITHM) throw incomplete(`Unsupported AWS 'algorithm': '${algorithm.slice(0, 32)}', expected '${ALGORITHM}'.`);
  const parts = new Map<string, string>();
  for (const part of value.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw incomplete("Authorization header requires each component to be of the form key=value.");
    const key = part.slice(0, eq).trim();
    if (parts.has(key)) throw incomplete(`Authorization header has the '${key}' parameter twice.`);
    // Anything else could smuggle a second, unverified "Credential=" to a naive reader.
    if (key !== "Credential" && key !== "SignedHeaders" && key !== "Signature") throw incomplete(`Authorization header has an unknown parameter '${key.slice(0, 32)}'.`);
    parts.set(key, part.slice(eq + 1).trim());
  }
  const missing = ["Credential", "SignedHeaders", "Signature"].filter((k) => !parts.get(k));
  if (missing.length > 0) throw incomplete(missing.map((k) => `Authorization header requires '${k}' parameter.`).join(" "));
  const credential = parts.get("Credential")!.split("/");
  if (credential.length !== 5 || credential.some((c) => c === "")) throw incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.");
  const [accessKeyId, date, region, service, terminator] = credential as [string, string, string, string, string];
  if (!/^\d{8}$/.test(date)) throw incomplete("Credential's date must be YYYYMMDD.");
  const signedHeaders = parts.get("SignedHeaders")!.split(";");
  if (signedHeaders.some((h) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h))) throw incomplete("SignedHeaders must be lower-case header names separated by ';'.");
  const signature = parts.get("Signature")!;
  if (!/^[0-9a-f]{64}$/.test(signature)) throw incomplete("Signature must be 64 lower-case hexadecimal characters.");
  return { accessKeyId, date, region, service, terminator, signedHeaders, signature };
}

/** X-Amz-Date, "20240101T000000Z", as a Date; anything else is IncompleteSignatureException. */
function parseAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  const date = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
  if (!date || amzFormat(date.getTime()) !== value) throw new AwsProtocolError("IncompleteSignatureException", `X-Amz-Date must be in the ISO8601 basic format YYYYMMDD'T'HHMMSS'Z', got '${value.slice(0, 32)}'.`);
  return date;
}

function amzFormat(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

/** The raw query as the signer wants it: decoded names and values, repeated names as lists. */
function parseQuery(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  if (query === "") return out;
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decode(pair.slice(eq + 1));
    const existing = Object.hasOwn(out, name) ? out[name] : undefined;
    out[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    throw new AwsProtocolError("IncompleteSignatureException", "The query string is not validly percent-encoded.");
  }
}
