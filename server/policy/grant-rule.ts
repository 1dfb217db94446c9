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
type Constraints = NonNullable<GrantRule["constraints"]>;

/** Whether the context has the pair: in a grant constraint the key is not case sensitive, the value is (AWS). */
function hasPair(context: Context, key: string, value: string): boolean {
  const lower = key.toLowerCase();
  return Object.keys(context).some((k) => k.toLowerCase() === lower && context[k] === value);
}

function subsetOf(required: Context, context: Context): boolean {
  return Object.keys(required).every((k) => hasPair(context, k, required[k]!));
}

/** Equals: exactly the constraint's pairs, no more (keys compared as sets, so keys differing only in case cannot stand in for others). */
function sameContext(required: Context, context: Context): boolean {
  const keys = (c: Context) => new Set(Object.keys(c).map((k) => k.toLowerCase()));
  const wanted = keys(required);
  const given = keys(context);
  return Object.keys(context).length === Object.keys(required).length && given.size === wanted.size && [...given].every((k) => wanted.has(k)) && subsetOf(required, context);
}

/**
 * The grant operations that take an encryption context, the only ones a constraint applies to:
 * AWS does not apply constraints to DescribeKey, RetireGrant or CreateGrant (a grant created
 * through a constrained grant must be at least as strict instead: see atLeastAsStrict).
 */
const CONTEXT_OPERATIONS = new Set(["encrypt", "decrypt", "reencryptfrom", "reencryptto", "generatedatakey", "generatedatakeywithoutplaintext", "generatedatakeypair", "generatedatakeypairwithoutplaintext"]);

/** The operation a "kms:<Op>" action names, or undefined for actions of other services. */
function kmsOperation(action: string): string | undefined {
  const colon = action.indexOf(":");
  return colon > 0 && action.slice(0, colon).toLowerCase() === "kms" ? action.slice(colon + 1).toLowerCase() : undefined;
}

/**
 * Whether a grant allows the request: the caller (or the role of its session) is the grantee,
 * the action is one of the grant's operations, and, for an operation that takes an encryption
 * context, the request's context satisfies the constraints (Equals: exactly the same pairs;
 * Subset: every constrained pair present). Grants never deny.
 */
export function grantAllows(grant: GrantRule, request: AccessRequest, encryptionContext: Context = {}): boolean {
  const caller = request.principal;
  if (grant.granteePrincipal !== caller.arn && grant.granteePrincipal !== caller.roleArn) return false;
  const operation = kmsOperation(request.action);
  if (operation === undefined || !grant.operations.some((op) => op.toLowerCase() === operation)) return false;
  if (!CONTEXT_OPERATIONS.has(operation)) return true;
  const { encryptionContextEquals: equals, encryptionContextSubset: subset } = grant.constraints ?? {};
  if (equals && !sameContext(equals, encryptionContext)) return false;
  return !subset || subsetOf(subset, encryptionContext);
}

/**
 * Whether a grant's constraints are at least as strict as its parent's, as AWS requires of a
 * grant created through a grant: any constraint under none; more pairs in a Subset, or an
 * Equals holding the Subset's pairs; under an Equals, the same Equals.
 */
export function atLeastAsStrict(parent: Constraints | undefined, child: Constraints | undefined): boolean {
  const childContext = child?.encryptionContextEquals ?? child?.encryptionContextSubset;
  if (parent?.encryptionContextEquals) return child?.encryptionContextEquals !== undefined && sameContext(parent.encryptionContextEquals, child.encryptionContextEquals);
  if (parent?.encryptionContextSubset) return childContext !== undefined && subsetOf(parent.encryptionContextSubset, childContext);
  return true;
}
