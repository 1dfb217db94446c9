/** ARNs of IAM and STS principals. */
export const principalArn = {
  user: (partition: string, accountId: string, userName: string) => `arn:${partition}:iam::${accountId}:user/${userName}`,
  role: (partition: string, accountId: string, roleName: string) => `arn:${partition}:iam::${accountId}:role/${roleName}`,
  root: (partition: string, accountId: string) => `arn:${partition}:iam::${accountId}:root`,
  roleSession: (partition: string, accountId: string, roleName: string, sessionName: string) =>
    `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
};

const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** The account and name of a role ARN, or undefined when it is not one. */
export function parseRoleArn(arn: string): { partition: string; accountId: string; roleName: string } | undefined {
  const m = ROLE_ARN.exec(arn);
  return m ? { partition: m[1]!, accountId: m[2]!, roleName: m[3]! } : undefined;
}
