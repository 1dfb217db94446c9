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

const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** The account and name of a role ARN, or undefined when it is not one. */
export function parseRoleArn(arn: string): { partition: string; accountId: string; roleName: string } | undefined {
  const m = ROLE_ARN.exec(arn);
  return m ? { partition: m[1]!, accountId: m[2]!, roleName: m[3]! } : undefined;
}
