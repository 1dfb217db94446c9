import type { ConditionContext } from "./policy-types.js";

/** A run of policy text; its "*" and "?" are wildcards unless it is literal (a variable's value, ${*}, ${?}, ${$}). */
export interface GlobPart {
  readonly text: string;
  readonly literal: boolean;
}

/** A reference to a condition key (lowercased), with the text to use when the request has no single value for it. */
interface VariablePart {
  readonly key: string;
  readonly fallback?: string;
}

/** Policy text holding policy variables, as written and parsed. */
export interface PolicyTemplate {
  readonly text: string;
  readonly parts: ReadonlyArray<GlobPart | VariablePart>;
}

const VARIABLE = /\$\{([^}]*)\}/g;
/** "key" or "key, 'default'"; spaces around either are ignored, as in IAM. */
const REFERENCE = /^\s*([A-Za-z0-9_.-]+:[^,'\s]+)\s*(?:,\s*'([^']*)'\s*)?$/;

/**
 * Parses IAM policy variables out of policy text (Version 2012-10-17 only; under 2008-10-17 they
 * are plain text): ${key} and ${key, 'default'}, and ${*}, ${?} and ${$} for those characters
 * taken literally. Undefined when the text has none; text that is no variable stays as written.
 */
export function parseTemplate(text: string): PolicyTemplate | undefined {
  if (!text.includes("${")) return undefined;
  const parts: Array<GlobPart | VariablePart> = [];
  let at = 0;
  for (const m of text.matchAll(VARIABLE)) {
    const inner = m[1]!;
    const reference = REFERENCE.exec(inner);
    const escaped = inner === "*" || inner === "?" || inner === "$";
    if (!escaped && !reference) continue;
    if (m.index > at) parts.push({ text: text.slice(at, m.index), literal: false });
    parts.push(escaped ? { text: inner, literal: true } : { key: reference![1]!.toLowerCase(), ...(reference![2] !== undefined ? { fallback: reference![2] } : {}) });
    at = m.index + m[0].length;
  }
  if (parts.length === 0) return undefined;
  if (at < text.length) parts.push({ text: text.slice(at), literal: false });
  return Object.freeze({ text, parts: Object.freeze(parts) });
}

/**
 * Fills a template's variables from the request's condition context. A variable's value is taken
 * literally (a "*" in a tag value is no wildcard). Undefined when a variable has neither a single
 * value in the request nor a default: AWS then treats the statement as invalid, so it applies to
 * nothing, neither allowing nor denying.
 */
export function resolveTemplate(template: PolicyTemplate, context: ConditionContext): GlobPart[] | undefined {
  const out: GlobPart[] = [];
  for (const part of template.parts) {
    if (!("key" in part)) {
      out.push(part);
      continue;
    }
    const value = context.get(part.key);
    const text = typeof value === "string" ? value : part.fallback;
    if (text === undefined) return undefined;
    out.push({ text, literal: true });
  }
  return out;
}

/** The text of resolved parts, for operators that have no wildcards. */
export function textOf(parts: readonly GlobPart[]): string {
  return parts.map((p) => p.text).join("");
}
