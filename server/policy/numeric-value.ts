const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a Numeric condition value: a plain decimal number (no hex, no blanks, finite).
 * Undefined when it is not one; Number("") and Number(" 1") would otherwise be accepted.
 */
export function parseNumericValue(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}
