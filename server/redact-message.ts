import { hasOption, getOption, type DescMessage, type DescField } from "@bufbuild/protobuf";
import { sensitive } from "../gen/kms/v1/options_pb.js";

const REDACTED = "[REDACTED]";

/**
 * A loggable copy of a message: every field the contract marks (kms.v1.sensitive) becomes
 * "[REDACTED]", and other bytes fields show only their length. Driven by reflection, so a
 * new sensitive field is covered the moment the contract marks it.
 */
export function redactMessage(desc: DescMessage, message: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of desc.fields) {
    const value = message[field.localName];
    if (value === undefined || isEmpty(value)) continue;
    out[field.name] = isSensitive(field) ? REDACTED : redactValue(field, value);
  }
  return out;
}

function isSensitive(field: DescField): boolean {
  return hasOption(field, sensitive) && getOption(field, sensitive);
}

function redactValue(field: DescField, value: unknown): unknown {
  switch (field.fieldKind) {
    case "message":
      return redactMessage(field.message, value as Record<string, unknown>);
    case "list":
      return (value as unknown[]).map((v) => (field.listKind === "message" ? redactMessage(field.message, v as Record<string, unknown>) : scalar(v)));
    case "map":
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, field.mapKind === "message" ? redactMessage(field.message, v as Record<string, unknown>) : scalar(v)]),
      );
    default:
      return scalar(value);
  }
}

function scalar(value: unknown): unknown {
  if (value instanceof Uint8Array) return `[${value.length} bytes]`;
  if (typeof value === "bigint") return value.toString();
  return value;
}

function isEmpty(value: unknown): boolean {
  return value === "" || value === false || value === 0 || (value instanceof Uint8Array && value.length === 0) || (Array.isArray(value) && value.length === 0);
}
