import { timestampMs } from "@bufbuild/protobuf/wkt";
import { KeySpec, KeyState, KeyUsage, type KeyMetadata } from "../../gen/kms/v1/types_pb.js";
import { usageError } from "../cli-error.js";
import { option, outputFormat, positional, sessionClient, type CliArgs } from "../context.js";
import { print } from "../output.js";
import { allPages } from "../pages.js";

/** The columns people want of a key. */
export function keyRow(key: KeyMetadata) {
  return {
    keyId: key.keyId,
    state: KeyState[key.keyState],
    spec: KeySpec[key.keySpec],
    usage: KeyUsage[key.keyUsage],
    description: key.description,
    created: key.creationDate ? new Date(timestampMs(key.creationDate)).toISOString() : undefined,
    ...(key.deletionDate ? { deletion: new Date(timestampMs(key.deletionDate)).toISOString() } : {}),
  };
}

function enumOption<E extends Record<string, string | number>>(values: E, args: CliArgs, name: string): E[keyof E] | undefined {
  const text = option(args, name);
  if (text === undefined) return undefined;
  const value = values[text.toUpperCase()];
  if (typeof value !== "number") throw usageError(`--${name} ${text} is not one of ${Object.keys(values).filter((k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED").join(", ")}`);
  return value as E[keyof E];
}

/** kms keys <create|describe|list|enable|disable|schedule-deletion|cancel-deletion|rotate|rotation> */
export async function keys(args: CliArgs): Promise<void> {
  const client = await sessionClient(args);
  const kms = client.kms;
  const format = outputFormat(args);
  const command = positional(args, 1, "a keys command (create, describe, list, enable, disable, schedule-deletion, cancel-deletion, rotate, rotation)");
  const keyId = () => positional(args, 2, "a key id, ARN or alias");
  switch (command) {
    case "create": {
      const keySpec = enumOption(KeySpec, args, "spec");
      const keyUsage = enumOption(KeyUsage, args, "usage");
      const { keyMetadata } = await kms.createKey({
        description: option(args, "description") ?? "",
        ...(keySpec !== undefined ? { keySpec } : {}),
        ...(keyUsage !== undefined ? { keyUsage } : {}),
        multiRegion: args.options["multi-region"] === true,
      });
      return print(keyRow(keyMetadata!), format);
    }
    case "describe":
      return print(keyRow((await kms.describeKey({ keyId: keyId() })).keyMetadata!), format);
    case "list": {
      const listed = await allPages(async (marker) => {
        const page = await kms.listKeys({ marker, limit: 1000 });
        return { ...page, items: page.keys };
      });
      return print(listed.map((k) => ({ keyId: k.keyId, arn: k.keyArn })), format);
    }
    case "enable":
      await kms.enableKey({ keyId: keyId() });
      return;
    case "disable":
      await kms.disableKey({ keyId: keyId() });
      return;
    case "schedule-deletion": {
      const days = option(args, "days");
      const result = await kms.scheduleKeyDeletion({ keyId: keyId(), ...(days !== undefined ? { pendingWindowInDays: Number(days) } : {}) });
      return print({ keyId: result.keyId, state: KeyState[result.keyState], deletion: result.deletionDate ? new Date(timestampMs(result.deletionDate)).toISOString() : undefined }, format);
    }
    case "cancel-deletion":
      await kms.cancelKeyDeletion({ keyId: keyId() });
      return;
    case "rotate":
      await kms.rotateKeyOnDemand({ keyId: keyId() });
      return;
    case "rotation": {
      const id = keyId();
      if (args.options.enable === true) {
        const period = option(args, "period");
        await kms.enableKeyRotation({ keyId: id, ...(period !== undefined ? { rotationPeriodInDays: Number(period) } : {}) });
      }
      if (args.options.disable === true) await kms.disableKeyRotation({ keyId: id });
      const status = await kms.getKeyRotationStatus({ keyId: id });
      return print(
        {
          enabled: status.keyRotationEnabled,
          periodDays: status.rotationPeriodInDays,
          next: status.nextRotationDate ? new Date(timestampMs(status.nextRotationDate)).toISOString() : undefined,
        },
        format,
      );
    }
    default:
      throw usageError(`unknown keys command ${JSON.stringify(command)}`);
  }
}
