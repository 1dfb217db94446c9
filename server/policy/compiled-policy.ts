import type { SetQualifier } from "./condition-operators.js";
import type { ConditionContext, PolicyKind } from "./policy-types.js";
import type { Matcher } from "./wildcard-pattern.js";

/** One value of a Principal element, resolved to what it can match. */
export type PrincipalEntry =
  /** "*" or {"AWS": "*"}: everyone. */
  | { readonly kind: "any" }
  /** A 12-digit account id or an account root ARN: every principal of that account. */
  | { readonly kind: "account"; readonly accountId: string; readonly partition?: string }
  /** A user, role or assumed-role session ARN, matched exactly. */
  | { readonly kind: "arn"; readonly arn: string; readonly arnType: "user" | "role" | "assumed-role" }
  /** A Service or Federated principal: kept, but no caller of this server is one. */
  | { readonly kind: "other"; readonly type: string; readonly value: string };

/** The Principal or NotPrincipal element of a statement. */
export interface PrincipalBlock {
  readonly negated: boolean;
  readonly entries: readonly PrincipalEntry[];
}

/** An Action/NotAction or Resource/NotResource element: patterns OR-ed, the whole negated for Not*. */
export interface PatternBlock {
  readonly negated: boolean;
  readonly patterns: readonly Matcher[];
  /** Resource patterns with policy variables, made whole from each request; undefined when a variable has no value. */
  readonly templates?: ReadonlyArray<(context: ConditionContext) => Matcher | undefined>;
}

/** One condition: an operator applied to one (lowercased) condition key. */
export type CompiledCondition =
  | {
      readonly kind: "null";
      readonly operator: string;
      readonly key: string;
      /** The policy values: true = "the key must be missing", false = "must be present"; OR-ed. */
      readonly wants: readonly boolean[];
    }
  | {
      readonly kind: "compare";
      readonly operator: string;
      readonly key: string;
      readonly set: SetQualifier;
      readonly ifExists: boolean;
      readonly negated: boolean;
      /** Whether one request value matches some policy value under the positive form of the operator. */
      readonly matchesValue: (value: string) => boolean;
      /** With policy variables among the values: matchesValue made from the request, undefined when a variable has no value. */
      readonly resolve?: (context: ConditionContext) => ((value: string) => boolean) | undefined;
    };

/** A statement with every pattern and value compiled, ready for evaluation. */
export interface CompiledStatement {
  readonly index: number;
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  /** Absent in identity and session policies, which have no principal. */
  readonly principal?: PrincipalBlock;
  readonly action: PatternBlock;
  /** Absent when the statement has no Resource (key policies then ignore it; trust policies need none). */
  readonly resource?: PatternBlock;
  readonly conditions: readonly CompiledCondition[];
}

/**
 * A parsed, validated and compiled policy document. Immutable, so one compiled policy can be
 * cached and shared by concurrent requests.
 */
export interface CompiledPolicy {
  readonly kind: PolicyKind;
  readonly version: "2012-10-17" | "2008-10-17";
  readonly id?: string;
  readonly statements: readonly CompiledStatement[];
}
