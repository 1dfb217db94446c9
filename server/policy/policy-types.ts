/** Which document a policy is: it decides which statement members are required or forbidden. */
export type PolicyKind = "key" | "identity" | "trust" | "session";

/**
 * The caller, as the identity layer resolved it. Policies name users and roles by ARN, so a
 * role session carries the ARN of its role too.
 */
export interface Principal {
  /** The caller's ARN: a user, an account root, or an sts assumed-role session. */
  readonly arn: string;
  /** The 12-digit account the caller belongs to. */
  readonly accountId: string;
  /** For role sessions, the role ARN (arn:aws:iam::<acct>:role/<name>), which policies name. */
  readonly roleArn?: string;
  /** The caller's tags; the server also exposes them as aws:principaltag/<key> in the context. */
  readonly tags: Readonly<Record<string, string>>;
  /** The caller's unique id: a user's, or "<role id>:<session name>" for a role session. */
  readonly userId?: string;
}

/**
 * The unique ids of the users and roles a resource policy names, by ARN, as they were when it
 * was saved. As in IAM, an entry then names that user or role only, not a later one of the same
 * name: delete a user and make another "bob", and a policy that named the first names no one.
 */
export type PrincipalIds = Readonly<Record<string, string>>;

/**
 * The condition context of a request: keys lowercased; a key absent from the map is "missing"
 * (for Null, ...IfExists and the set operators). An empty array counts as missing too.
 */
export type ConditionContext = ReadonlyMap<string, string | readonly string[]>;

/** One request to authorize: who does what to which resource, under which conditions. */
export interface AccessRequest {
  readonly principal: Principal;
  /** The IAM action, e.g. "kms:Encrypt". */
  readonly action: string;
  /** The key ARN, or "*" for key-less actions. */
  readonly resource: string;
  /** The condition context (see ConditionContext). */
  readonly context: ConditionContext;
}

/** Names the statement that decided, for logs and audit records; never its contents. */
export interface StatementRef {
  /** The position of the statement in the policy, from 0. */
  readonly index: number;
  readonly sid?: string;
}

/**
 * How the principal of an allowing statement matched: "direct" when it names the caller (its
 * user, role or session ARN), "*", or a NotPrincipal that leaves the caller out; "account" when
 * it names the caller's account (id or root ARN), which in a key policy means "the account
 * trusts its IAM policies" rather than "this caller may". Identity and session policies have no
 * principal and always match "direct".
 */
export type PrincipalMatch = "direct" | "account";

/** The verdict of one policy on one request: an explicit Deny, an Allow, or nothing applicable. */
export type PolicyDecision =
  | { readonly effect: "Deny"; readonly statement: StatementRef }
  | {
      readonly effect: "Allow";
      readonly statement: StatementRef;
      readonly via: PrincipalMatch;
      /**
       * True when the allowing statement names the caller's exact assumed-role session ARN:
       * AWS does not narrow such an allow by the session policy.
       */
      readonly namesSession: boolean;
    }
  | { readonly effect: "None" };
