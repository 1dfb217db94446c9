/**
 * The authenticated principal of a request: who it is, which account it acts in, and what
 * the policy engine needs to know about it.
 */
export interface Caller {
  readonly accountId: string;
  /** The user ARN, or the assumed-role session ARN (arn:aws:sts::<acct>:assumed-role/<role>/<session>). */
  readonly arn: string;
  /** The unique id (user id, or "<role id>:<session name>"). */
  readonly userId: string;
  /** For role sessions, the role's ARN, which policies name. */
  readonly roleArn?: string;
  readonly kind: "user" | "role-session";
  /** The user name or role name, whose identity policies apply. */
  readonly name: string;
  /** Principal tags (aws:PrincipalTag/...). */
  readonly tags: Readonly<Record<string, string>>;
  /** The session the request's token belongs to. */
  readonly sessionId: string;
  /** A session policy that narrows a role session. */
  readonly sessionPolicy?: string;
}
