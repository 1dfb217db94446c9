import type { TagRecord } from "../domain/key-record.js";

/** An account: the unit that owns keys and identities. */
export interface AccountRecord {
  readonly accountId: string;
  readonly createdAt: number;
}

/** An IAM user. */
export interface UserRecord {
  readonly accountId: string;
  readonly userName: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly tags: readonly TagRecord[];
}

/** An IAM role with its trust policy. */
export interface RoleRecord {
  readonly accountId: string;
  readonly roleName: string;
  readonly roleId: string;
  readonly createdAt: number;
  readonly trustPolicy: string;
  /** The unique ids of the users and roles the trust policy named when it was saved (PrincipalIds). */
  readonly trustPolicyPrincipalIds?: Readonly<Record<string, string>>;
  readonly maxSessionDuration: number;
  readonly tags: readonly TagRecord[];
}

/** An access key; its secret is stored only wrapped under the root key (SigV4 needs it back). */
export interface AccessKeyRecord {
  readonly accessKeyId: string;
  readonly accountId: string;
  readonly userName: string;
  readonly wrappedSecret: string;
  readonly status: "Active" | "Inactive";
  readonly createdAt: number;
  /** The user id of its user: a user deleted and made again under the same name is another user (absent on older keys). */
  readonly userId?: string;
  /** Sessions made with the key before this time never work again, even once it is active again (set when it is deactivated). */
  readonly sessionsNotBefore?: number;
}

/** A session behind a bearer token; only a hash of the token's secret is stored. */
export interface SessionRecord {
  readonly sessionId: string;
  readonly secretHash: string;
  readonly accountId: string;
  readonly kind: "user" | "role-session";
  /** The user name, or the role name of a role session. */
  readonly name: string;
  /** The user id or role id: a user or role deleted and created again under the same name is another principal. */
  readonly principalId: string;
  readonly roleSessionName?: string;
  /** The access key a user session logged in with: deactivating or deleting it ends the session. */
  readonly accessKeyId?: string;
  readonly sessionPolicy?: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The temporary secret access key for SigV4, wrapped under the root key (it must be recoverable to verify signatures). */
  readonly wrappedSigningSecret?: string;
  /** The hash of the secret of the session's X-Amz-Security-Token (absent on older sessions, whose bearer token served). */
  readonly awsTokenHash?: string;
}
