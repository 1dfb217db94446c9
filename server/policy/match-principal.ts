import type { PrincipalBlock, PrincipalEntry } from "./compiled-policy.js";
import type { Principal, PrincipalMatch } from "./policy-types.js";

/** How a principal element matched the caller: not at all, or directly / through the caller's account. */
export type PrincipalOutcome = { readonly matched: false } | { readonly matched: true; readonly via: PrincipalMatch; readonly namesSession: boolean };

const NO_MATCH: PrincipalOutcome = Object.freeze({ matched: false });

function partitionOf(arn: string): string | undefined {
  return arn.startsWith("arn:") ? arn.split(":", 2)[1] : undefined;
}

function entryMatch(entry: PrincipalEntry, caller: Principal): PrincipalOutcome {
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
      if (entry.arn === caller.arn) return { matched: true, via: "direct", namesSession: entry.arnType === "assumed-role" };
      if (entry.arnType === "role" && entry.arn === caller.roleArn) return { matched: true, via: "direct", namesSession: false };
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
 * Matches a Principal/NotPrincipal element against the caller. Among several matching entries
 * the strongest is reported: the exact session ARN, then any other direct match, then the
 * account. NotPrincipal matches (directly) every caller that none of its entries matches.
 */
export function matchPrincipal(block: PrincipalBlock, caller: Principal): PrincipalOutcome {
  let best: PrincipalOutcome = NO_MATCH;
  for (const entry of block.entries) {
    const outcome = entryMatch(entry, caller);
    if (principalStrength(outcome) > principalStrength(best)) best = outcome;
  }
  if (!block.negated) return best;
  return best.matched ? NO_MATCH : { matched: true, via: "direct", namesSession: false };
}
