import { usageError } from "../cli-error.js";
import { outputFormat, positional, sessionClient, type CliArgs } from "../context.js";
import { print } from "../output.js";
import { allPages } from "../pages.js";

/** kms aliases <list|create|update|delete> */
export async function aliases(args: CliArgs): Promise<void> {
  const { kms } = await sessionClient(args);
  const command = positional(args, 1, "an aliases command (list, create, update, delete)");
  switch (command) {
    case "list": {
      const listed = await allPages(async (marker) => {
        const page = await kms.listAliases({ marker, limit: 100 });
        return { ...page, items: page.aliases };
      });
      return print(listed.map((a) => ({ alias: a.aliasName, keyId: a.targetKeyId })), outputFormat(args));
    }
    case "create":
      await kms.createAlias({ aliasName: positional(args, 2, "an alias name (alias/...)"), targetKeyId: positional(args, 3, "a key id") });
      return;
    case "update":
      await kms.updateAlias({ aliasName: positional(args, 2, "an alias name (alias/...)"), targetKeyId: positional(args, 3, "a key id") });
      return;
    case "delete":
      await kms.deleteAlias({ aliasName: positional(args, 2, "an alias name (alias/...)") });
      return;
    default:
      throw usageError(`unknown aliases command ${JSON.stringify(command)}`);
  }
}
