import { textOf, type GlobPart } from "./policy-variables.js";
import { compileGlob, compileWildcard, type Matcher } from "./wildcard-pattern.js";

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
  return arnMatcher(pattern, segments.map((segment) => compileWildcard(segment, { ignoreCase: false })));
}

/** compileArnPattern for a pattern made of parts, some literal (policy variables' values). */
export function compileArnGlob(parts: readonly GlobPart[]): Matcher {
  const pattern = textOf(parts);
  const components = Math.min(ARN_PARTS, pattern.split(":").length);
  // The parts of each component: a colon ends one, whether the policy or a variable's value wrote it.
  const split: GlobPart[][] = [[]];
  for (const part of parts) {
    const pieces = part.text.split(":");
    pieces.forEach((text, i) => {
      if (i > 0) {
        if (split.length < components) split.push([]);
        else split[split.length - 1]!.push({ text: ":", literal: true });
      }
      split[split.length - 1]!.push({ text, literal: part.literal });
    });
  }
  return arnMatcher(pattern, split.map((component) => compileGlob(component, { ignoreCase: false })));
}

/** Matches an ARN component by component. */
function arnMatcher(pattern: string, matchers: readonly Matcher[]): Matcher {
  return Object.freeze({
    pattern,
    matches(value: string): boolean {
      const values = splitArn(value, matchers.length);
      return values !== undefined && matchers.every((m, i) => m.matches(values[i]!));
    },
  });
}
