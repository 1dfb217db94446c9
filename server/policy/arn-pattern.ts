import { compileWildcard, type Matcher } from "./wildcard-pattern.js";

const ARN_PARTS = 6;

/** Splits at the first `parts - 1` colons; the last part keeps any further colons (resource ids may hold them). */
function splitArn(value: string, parts: number): string[] | undefined {
  const out: string[] = [];
  let rest = value;
  for (let i = 1; i < parts; i++) {
    const colon = rest.indexOf(":");
    if (colon < 0) return undefined;
    out.push(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  out.push(rest);
  return out;
}

/**
 * Compiles an ARN pattern as IAM matches Resource and ArnLike/ArnEquals: case-sensitive, each of
 * the six colon-separated components matched on its own, so a "*" never runs across a colon
 * except inside the final resource component. A pattern with fewer components lets its last one
 * match the rest of the ARN ("*" alone matches anything).
 */
export function compileArnPattern(pattern: string): Matcher {
  if (!pattern.includes("*") && !pattern.includes("?")) {
    return Object.freeze({ pattern, matches: (value: string) => value === pattern });
  }
  const segments = splitArn(pattern, Math.min(ARN_PARTS, pattern.split(":").length))!;
  const matchers = segments.map((segment) => compileWildcard(segment, { ignoreCase: false }));
  return Object.freeze({
    pattern,
    matches(value: string): boolean {
      const parts = splitArn(value, matchers.length);
      return parts !== undefined && matchers.every((m, i) => m.matches(parts[i]!));
    },
  });
}
