import { GrantOperation } from "../../gen/kms/v1/types_pb.js";
import { usageError } from "../cli-error.js";
import { option, outputFormat, positional, sessionClient, type CliArgs } from "../context.js";
import { print } from "../output.js";

/** "Encrypt,ReEncryptFrom" -> GrantOperation values. */
function operationsOf(list: string): GrantOperation[] {
  return list.split(",").map((name) => {
    const value = GrantOperation[name.trim().replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase() as keyof typeof GrantOperation];
    if (value === undefined) throw usageError(`unknown grant operation ${JSON.stringify(name)}`);
    return value;
  });
}

/** kms grants <create|list|revoke|retire> */
export async function grants(args: CliArgs): Promise<void> {
  const { kms } = await sessionClient(args);
  const command = positional(args, 1, "a grants command (create, list, revoke, retire)");
  const format = outputFormat(args);
  switch (command) {
    case "create": {
      const retiring = option(args, "retiring");
      const created = await kms.createGrant({
        keyId: positional(args, 2, "a key id or ARN"),
        granteePrincipal: option(args, "grantee", true),
        operations: operationsOf(option(args, "operations", true)),
        ...(retiring ? { retiringPrincipal: retiring } : {}),
        name: option(args, "name") ?? "",
      });
      return print({ grantId: created.grantId, grantToken: created.grantToken }, format);
    }
    case "list": {
      const { grants: list } = await kms.listGrants({ keyId: positional(args, 2, "a key id or ARN") });
      return print(list.map((g) => ({ grantId: g.grantId, grantee: g.granteePrincipal, operations: g.operations.map((o) => GrantOperation[o]).join(",") })), format);
    }
    case "revoke":
      await kms.revokeGrant({ keyId: positional(args, 2, "a key id or ARN"), grantId: positional(args, 3, "a grant id") });
      return;
    case "retire":
      await kms.retireGrant({ grantToken: option(args, "token", true) });
      return;
    default:
      throw usageError(`unknown grants command ${JSON.stringify(command)}`);
  }
}
