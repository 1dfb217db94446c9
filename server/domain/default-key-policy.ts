/**
 * The policy of a key created without one, as AWS writes it: the account root may do
 * everything, which is what lets the account's IAM policies grant access to the key.
 */
export function defaultKeyPolicy(partition: string, accountId: string): string {
  return JSON.stringify(
    {
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [
        {
          Sid: "Enable IAM User Permissions",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    },
    null,
    2,
  );
}
