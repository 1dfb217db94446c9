import type { CompiledPolicy, CompiledStatement, PatternBlock } from "./compiled-policy.js";
import { conditionHolds } from "./evaluate-condition.js";
import { matchPrincipal, principalStrength, type PrincipalOutcome } from "./match-principal.js";
import type { AccessRequest, ConditionContext, PolicyDecision, PrincipalIds, StatementRef } from "./policy-types.js";

function blockMatches(block: PatternBlock, value: string, context: ConditionContext): boolean {
  let any = block.patterns.some((p) => p.matches(value));
  if (block.templates) {
    for (const template of block.templates) {
      const pattern = template(context);
      // A policy variable the request has no value for: IAM treats the statement as invalid, so it applies to nothing.
      if (!pattern) return false;
      any ||= pattern.matches(value);
    }
  }
  return block.negated ? !any : any;
}

function refOf(statement: CompiledStatement): StatementRef {
  return statement.sid === undefined ? { index: statement.index } : { index: statement.index, sid: statement.sid };
}

const DIRECT: PrincipalOutcome = Object.freeze({ matched: true, via: "direct", namesSession: false });

/** Whether the statement applies to the request, and how its principal matched. */
function applies(policy: CompiledPolicy, statement: CompiledStatement, request: AccessRequest, ids: PrincipalIds | undefined): PrincipalOutcome | undefined {
  if (!blockMatches(statement.action, request.action, request.context)) return undefined;
  if (statement.resource) {
    if (!blockMatches(statement.resource, request.resource, request.context)) return undefined;
  } else if (policy.kind === "key") {
    return undefined; // AWS ignores a key-policy statement without Resource.
  }
  const principal = statement.principal ? matchPrincipal(statement.principal, request.principal, statement.effect, ids) : DIRECT;
  if (!principal.matched) return undefined;
  return statement.conditions.every((c) => conditionHolds(c, request.context)) ? principal : undefined;
}

/**
 * Evaluates one policy against a request. An applicable Deny wins over any Allow, whatever the
 * statement order, and the first applicable Deny is reported. Otherwise the strongest applicable
 * Allow is reported (the one naming the caller's exact session, then any other direct match,
 * then an account match; the first of equals), because authorize() needs to know whether the
 * key policy names the caller or only trusts its account. "None" when nothing applies. `ids` are
 * the unique ids of the users and roles a resource policy names (PrincipalIds).
 */
export function evaluatePolicy(policy: CompiledPolicy, request: AccessRequest, ids?: PrincipalIds): PolicyDecision {
  let allow: { statement: CompiledStatement; outcome: PrincipalOutcome } | undefined;
  for (const statement of policy.statements) {
    const outcome = applies(policy, statement, request, ids);
    if (!outcome) continue;
    if (statement.effect === "Deny") return { effect: "Deny", statement: refOf(statement) };
    if (!allow || principalStrength(outcome) > principalStrength(allow.outcome)) allow = { statement, outcome };
  }
  if (!allow || !allow.outcome.matched) return { effect: "None" };
  return { effect: "Allow", statement: refOf(allow.statement), via: allow.outcome.via, namesSession: allow.outcome.namesSession };
}
