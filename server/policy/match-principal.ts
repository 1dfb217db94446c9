import type { PrincipalBlock, PrincipalEntry } from "./compiled-policy.js";
import type { Principal, PrincipalIds, PrincipalMatch } from "./policy-types.js";

/** How a principal element matched the caller: not at all, or directly / through the caller's account. */
export type PrincipalOutcome = { readonly matched: false } | { readonly matched: true; readonly via: PrincipalMatch; readonly namesSession: boolean };

const NO_MATCH: PrincipalOutcome = Object.freeze({ matched: false });

function partitionOf(arn: string): string | undefined {
  return arn.startsWith("arn:") ? arn.split(":", 2)[1] : undefined;
}

/**
 * Whether the user or role an ARN entry named when its policy was saved is the caller's (for a
 * role, the role of the caller's session). An ARN with no recorded id (a policy saved before ids
 * were recorded) is matched by ARN alone.
 */
function sameIdentity(arn: string, caller: Principal, role: boolean, ids: PrincipalIds | undefined): boolean {
  const recorded = ids !== undefined && Object.hasOwn(ids, arn) ? ids[arn] : undefined;
  // A caller with no unique id (only in unit tests: every server caller has one) is matched by ARN, as a Deny must still apply to it.
  if (recorded === undefined || caller.userId === undefined) return true;
  const id = caller.userId;
  return (role ? id.slice(0, id.indexOf(":")) : id) === recorded;
}

function entryMatch(entry: PrincipalEntry, caller: Principal, ids: PrincipalIds | undefined): PrincipalOutcome {
  switch (entry.kind) {
    case "any":
      return { matched: true, via: "direct", namesSession: false };
    case "account": {
      const partition = partitionOf(caller.arn);
      const samePartition = entry.partition === undefined || partition === undefined || entry.partition === partition;
      if (entry.accountId !== caller.accountId || !samePartition) return NO_MATCH;
      // The root user is the account: naming the account names it directly.
      const isRoot = caller.arn === `arn:${partition}:iam::${caller.accountId}:root`;
      return { matched: true, via: isRoot ? "direct" : "account", namesSession: false };
    }
    case "arn":
      if (entry.arn === caller.arn && (entry.arnType !== "user" || sameIdentity(entry.arn, caller, false, ids))) return { matched: true, via: "direct", namesSession: entry.arnType === "assumed-role" };
      if (entry.arnType === "role" && entry.arn === caller.roleArn && sameIdentity(entry.arn, caller, true, ids)) return { matched: true, via: "direct", namesSession: false };
      return NO_MATCH;
    case "other":
      return NO_MATCH;
  }
}

/** Orders outcomes by how strongly they allow: no match, account, direct, the exact session ARN. */
export function principalStrength(outcome: PrincipalOutcome): number {
  if (!outcome.matched) return 0;
  if (outcome.via === "account") return 1;
  return outcome.namesSession ? 3 : 2;
}

/**
 * Whether a NotPrincipal element leaves the caller out. IAM checks each identity behind a request
 * (the account, then the role, then the session or user), and the element leaves the caller out
 * only if it names every one exactly: the account (its id or root ARN), the user, or the role and
 * the session. A role's ARN alone does not leave its sessions out, nor a user's ARN without its
 * account, as AWS warns ("you must also specify the account ARN of the not-denied principal").
 */
function namesEveryIdentity(block: PrincipalBlock, caller: Principal, ids: PrincipalIds | undefined): boolean {
  const names = (test: (entry: PrincipalEntry) => boolean) => block.entries.some(test);
  if (names((e) => e.kind === "any")) return true;
  const partition = partitionOf(caller.arn);
  const account = names((e) => e.kind === "account" && e.accountId === caller.accountId && (e.partition === undefined || partition === undefined || e.partition === partition));
  if (!account) return false;
  if (caller.arn === `arn:${partition}:iam::${caller.accountId}:root`) return true;
  const namesArn = (arn: string, role: boolean) => names((e) => e.kind === "arn" && e.arn === arn) && sameIdentity(arn, caller, role, ids);
  return namesArn(caller.arn, false) && (caller.roleArn === undefined || namesArn(caller.roleArn, true));
}

/**
 * Matches a Principal/NotPrincipal element against the caller. Among several matching entries
 * the strongest is reported: the exact session ARN, then any other direct match, then the
 * account. NotPrincipal matches (directly) every caller it does not leave out: in a Deny, only a
 * caller it names whole is left out (namesEveryIdentity); in an Allow (which AWS does not
 * support), any caller it names in part is, so neither form lets in more than its reading allows.
 */
export function matchPrincipal(block: PrincipalBlock, caller: Principal, effect: "Allow" | "Deny", ids?: PrincipalIds): PrincipalOutcome {
  let best: PrincipalOutcome = NO_MATCH;
  for (const entry of block.entries) {
    const outcome = entryMatch(entry, caller, ids);
    if (principalStrength(outcome) > principalStrength(best)) best = outcome;
  }
  if (!block.negated) return best;
  const leftOut = effect === "Deny" ? namesEveryIdentity(block, caller, ids) : best.matched;
  return leftOut ? NO_MATCH : { matched: true, via: "direct", namesSession: false };
}
