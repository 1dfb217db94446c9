import type { Interceptor } from "@connectrpc/connect";
import { fieldValue, resolveAccessTarget } from "../authorization/access-target.js";
import { loadCallerPolicies, mentionsResourceAliases } from "../authorization/caller-policies.js";
import { buildConditionContext } from "../authorization/condition-context.js";
import { encryptionContextFieldOf } from "../crypto/encryption-context.js";
import { loadRoleTrust } from "../authorization/role-trust.js";
import { accessDecisionsKey, authorizedRoleKey, callerKey, callerPoliciesKey, clockKey, connectionKey, regionKey, resolvedKeysKey, type AccessDecision, type ServerServices } from "../context.js";
import { KmsError } from "../errors/kms-error.js";
import { methodOptions } from "../method-options.js";
import { authorize, describeDenial, describeRefusal, type AccessRequest, type GrantRule } from "../policy/index.js";
import type { GrantRecord } from "../domain/key-record.js";
import { checkGrantTokens } from "../services/grants/grant-token.js";
import { managedKeyFactory } from "../services/managed-keys.js";
import type { ResolvedKey } from "../services/resolve-key.js";
import { derivedFrom } from "../store/derived.js";
import type { ChainRequest, Next } from "./next.js";

/**
 * Decides every request before its handler runs, from the contract: each (kms.v1.access) rule
 * of the RPC names an action and what it acts on. The key is resolved once and handed on in
 * context; the key policy, the caller's identity policies (and session policy) and the key's
 * grants decide, as AWS KMS does (for AssumeRole, the role's trust policy in the key policy's
 * place, as STS does); explicit deny wins; the default is deny.
 */
export function createAuthorizationInterceptor(services: ServerServices): Interceptor {
  // Calls that need no credentials pass without a promise of ours.
  return (next) => (req) => (methodOptions(req.method).unauthenticated ? next(req) : authorized(next, req));
  async function authorized(next: Next, req: ChainRequest) {
    const options = methodOptions(req.method);
    const rules = options.access;
    if (rules.length === 0) {
      // Fail closed: an RPC must declare its access rules or that its handler decides.
      if (options.selfAuthorized) return next(req);
      throw new Error(`${req.method.parent.typeName}.${req.method.name} declares no access rules`);
    }
    const caller = req.contextValues.get(callerKey);
    const region = req.contextValues.get(regionKey);
    if (!caller) throw new Error("authorization needs the authentication interceptor before it");

    const message = req.message as unknown as Record<string, unknown>;
    if (Array.isArray(message.grantTokens)) checkGrantTokens(message.grantTokens as string[]);
    const now = req.contextValues.get(clockKey)();
    const policies = await loadCallerPolicies(services.identities, services.policies, caller);
    const scope = region && { region, accountId: caller.accountId, managedKeys: managedKeyFactory({ region, accountId: caller.accountId, audit: services.audit, clock: req.contextValues.get(clockKey), servicePrincipals: services.servicePrincipals }) };
    // A configured service principal calls "via" its service, as AWS services do for their users.
    const service = services.servicePrincipals.get(caller.roleArn ?? caller.arn);
    const resolved = new Map<string, ResolvedKey>();
    const decisions: AccessDecision[] = [];
    for (const rule of rules) {
      if (rule.whenField !== "" && !isSet(fieldValue(req.method.input, message, rule.whenField))) continue;
      // A rule decided in another region (ReplicateKey's kms:CreateKey) sees that region as aws:RequestedRegion.
      const regionName = rule.regionField === "" ? (region?.name ?? "") : String(fieldValue(req.method.input, message, rule.regionField));
      const target = await resolveAccessTarget(rule, req.method.input, message, scope, caller, services.partition, services.identities);
      if (target.key) resolved.set(rule.keyField, target.key);
      // The handler uses exactly the keys looked up here (for a symmetric ciphertext it still
      // checks that the named key is the blob's), not a second lookup of the names.
      if (target.named) resolved.set(target.named.field, target.named.key);
      const keyring = region?.keyring;
      const keyPolicy = target.key && services.policies.get(target.key.key.policy, "key");
      const role = rule.roleTrustPolicy ? await loadRoleTrust(services.identities, services.policies, target.resource, services.partition) : undefined;
      if (role?.role) req.contextValues.set(authorizedRoleKey, role.role);
      // Optional facts are passed as undefined rather than spread in: this runs on every request.
      const context = buildConditionContext({
        caller,
        connection: req.contextValues.get(connectionKey),
        now,
        region: regionName,
        viaService: service !== undefined && region ? `${service}.${regionName}.amazonaws.com` : undefined,
        requestDesc: req.method.input,
        request: message,
        action: rule.action,
        key: target.key?.key,
        requestAlias: target.requestAlias,
        resourceAliases: keyPolicy && (policies.mentionsResourceAliases || mentionsResourceAliases(keyPolicy)) ? await keyring!.listAliasNamesOfKey(target.key!.key.keyId, undefined, 50) : undefined,
      });
      const request: AccessRequest = { principal: caller, action: rule.action, resource: target.resource, context };
      const decide = (grants: readonly GrantRule[]) =>
        authorize({
          request,
          key: keyPolicy && { policy: keyPolicy, accountId: target.key!.key.accountId, grants, encryptionContext: encryptionContextOf(req.method.input, message, rule.action), principalIds: target.key!.key.policyPrincipalIds },
          role,
          identityPolicies: policies.identityPolicies,
          sessionPolicy: policies.sessionPolicy,
        });
      // Grants are weighed only where no policy allows and none denies, so they are read only
      // then; deciding again with them gives what one decision with them would have.
      let result = decide([]);
      if (!result.allowed && result.reason === "no-allow" && keyPolicy) {
        const grants = derivedFrom(grantRules, await keyring!.listGrants(target.key!.key.keyId), (all) => all.map(toGrantRule));
        if (grants.length > 0) result = decide(grants);
      }
      if (!result.allowed) {
        // The refused check goes on record too, with the statement that denied it, if any.
        decisions.push({ action: rule.action, resource: target.resource, decidedBy: result.reason === "explicit-deny" ? [result.decidedBy] : [] });
        req.contextValues.set(accessDecisionsKey, decisions);
        // Why AssumeRole was refused stays in the audit record: the reason would tell whether the role exists.
        throw new KmsError("AccessDeniedException", rule.roleTrustPolicy ? describeRefusal(request) : describeDenial(result, request));
      }
      decisions.push({ action: rule.action, resource: target.resource, decidedBy: result.decidedBy });
    }
    req.contextValues.set(accessDecisionsKey, decisions);
    req.contextValues.set(resolvedKeysKey, resolved);
    req.contextValues.set(callerPoliciesKey, policies);
    return next(req);
  }
}

/** Whether a request field a rule depends on is set: a non-empty string or list, or true. */
function isSet(value: unknown): boolean {
  if (Array.isArray(value) || typeof value === "string") return value.length > 0;
  return Boolean(value);
}

/** The encryption context a request carries for one action, for grant constraints. */
function encryptionContextOf(desc: Parameters<typeof fieldValue>[0], message: Record<string, unknown>, action: string): Readonly<Record<string, string>> | undefined {
  const name = encryptionContextFieldOf(action);
  return desc.fields.some((f) => f.name === name) ? (fieldValue(desc, message, name) as Record<string, string>) : undefined;
}

const grantRules = new WeakMap<readonly GrantRecord[], GrantRule[]>();

function toGrantRule(grant: GrantRecord): GrantRule {
  return { grantId: grant.grantId, granteePrincipal: grant.granteePrincipal, operations: grant.operations, ...(grant.constraints ? { constraints: grant.constraints } : {}) };
}
