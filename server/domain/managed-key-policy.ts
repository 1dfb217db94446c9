/**
 * The fixed policy of an AWS managed key, as AWS writes it: every principal of the account may
 * use the key through the service it belongs to (kms:ViaService), and read its metadata
 * directly; no one may change its policy, disable, rotate or delete it.
 */
export function managedKeyPolicy(partition: string, accountId: string, region: string, service: string): string {
  return JSON.stringify(
    {
      Version: "2012-10-17",
      Id: `auto-${service}-1`,
      Statement: [
        {
          Sid: `Allow access through ${service} for all principals in the account that are authorized to use ${service}`,
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
          Resource: "*",
          Condition: { StringEquals: { "kms:CallerAccount": accountId, "kms:ViaService": `${service}.${region}.amazonaws.com` } },
        },
        {
          Sid: "Allow direct access to key metadata to the account",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
          Action: ["kms:Describe*", "kms:Get*", "kms:List*"],
          Resource: "*",
        },
      ],
    },
    null,
    2,
  );
}
