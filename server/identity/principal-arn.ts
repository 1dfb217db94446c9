/** ARNs of IAM and STS principals. */
export const principalArn = {
  user: (partition: string, accountId: string, userName: string) => `arn:${partition}:iam::${accountId}:user/${userName}`,
  role: (partition: string, accountId: string, roleName: string) => `arn:${partition}:iam::${accountId}:role/${roleName}`,
  root: (partition: string, accountId: string) => `arn:${partition}:iam::${accountId}:root`,
  roleSession: (partition: string, accountId: string, roleName: string, sessionName: string) =>
    `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
};

const PRINCIPAL_ACCOUNT = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/;
const ROOT_ARN = /^arn:[^:]+:iam::(\d{12}):root$/;

/** The account of an IAM or STS principal ARN, or undefined when it is not one. */
export function accountOfPrincipal(arn: string): string | undefined {
  return PRINCIPAL_ACCOUNT.exec(arn)?.[1];
}

/** The account an account root ARN names, or undefined when it names no account. */
export function accountOfRoot(arn: string): string | undefined {
  return ROOT_ARN.exec(arn)?.[1];
}

const USER_OR_ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):(user|role)\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** The kind, account and name (its last path part) of a user or role ARN, or undefined when it is neither. */
export function parseUserOrRoleArn(arn: string): { partition: string; accountId: string; kind: "user" | "role"; name: string } | undefined {
  const m = USER_OR_ROLE_ARN.exec(arn);
  return m ? { partition: m[1]!, accountId: m[2]!, kind: m[3] as "user" | "role", name: m[4]! } : undefined;
}

/** The account and name of a role ARN, or undefined when it is not one. */
export function parseRoleArn(arn: string): { partition: string; accountId: string; roleName: string } | undefined {
  const ref = parseUserOrRoleArn(arn);
  return ref?.kind === "role" ? { partition: ref.partition, accountId: ref.accountId, roleName: ref.name } : undefined;
}
