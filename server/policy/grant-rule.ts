import type { AccessRequest } from "./policy-types.js";

/** A grant as the authorizer needs it: who may do which KMS operations, under which context constraints. */
export interface GrantRule {
  readonly grantId: string;
  /** The grantee's ARN: a user, a role (covering its sessions) or a session. */
  readonly granteePrincipal: string;
  /** Operation names without the "kms:" prefix: "Decrypt", "Encrypt", ... */
  readonly operations: readonly string[];
  readonly constraints?: {
    readonly encryptionContextEquals?: Readonly<Record<string, string>>;
    readonly encryptionContextSubset?: Readonly<Record<string, string>>;
  };
}

type Context = Readonly<Record<string, string>>;

function hasPair(context: Context, key: string, value: string): boolean {
  return Object.hasOwn(context, key) && context[key] === value;
}

function subsetOf(required: Context, context: Context): boolean {
  return Object.keys(required).every((k) => hasPair(context, k, required[k]!));
}

/** The operation a "kms:<Op>" action names, or undefined for actions of other services. */
function kmsOperation(action: string): string | undefined {
  const colon = action.indexOf(":");
  return colon > 0 && action.slice(0, colon).toLowerCase() === "kms" ? action.slice(colon + 1).toLowerCase() : undefined;
}

/**
 * Whether a grant allows the request: the caller (or the role of its session) is the grantee,
 * the action is one of the grant's operations, and the request's encryption context satisfies
 * the constraints (Equals: exactly the same pairs; Subset: every constrained pair present).
 * Constraints are checked for every operation, so a constrained grant allows only requests that
 * carry a matching context. Grants never deny.
 */
export function grantAllows(grant: GrantRule, request: AccessRequest, encryptionContext: Context = {}): boolean {
  const caller = request.principal;
  if (grant.granteePrincipal !== caller.arn && grant.granteePrincipal !== caller.roleArn) return false;
  const operation = kmsOperation(request.action);
  if (operation === undefined || !grant.operations.some((op) => op.toLowerCase() === operation)) return false;
  const equals = grant.constraints?.encryptionContextEquals;
  if (equals && !(subsetOf(equals, encryptionContext) && Object.keys(encryptionContext).length === Object.keys(equals).length)) {
    return false;
  }
  const subset = grant.constraints?.encryptionContextSubset;
  return !subset || subsetOf(subset, encryptionContext);
}
