// PolicyRule matching, rule by rule as pkg/apis/rbac/v1/evaluation_helpers.go and the RBAC
// authorizer's RuleAllows do it: `*` is a wildcard only where the apiserver treats it as one.
import { isObject } from './json.ts';
import type { RequestAttributes } from './request-info.ts';

// One rbac.authorization.k8s.io/v1 PolicyRule.
export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

// The rules of a stored Role/ClusterRole (missing lists read as empty, as Go's nil slices do).
export function rulesOf(role: Record<string, unknown>): PolicyRule[] {
  const rules = Array.isArray(role['rules']) ? role['rules'] : [];
  return rules.filter(isObject).map((r) => ({
    verbs: strings(r['verbs']),
    apiGroups: strings(r['apiGroups']),
    resources: strings(r['resources']),
    resourceNames: strings(r['resourceNames']),
    nonResourceURLs: strings(r['nonResourceURLs']),
  }));
}

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.some((g) => g === '*' || g === group);
}

// "*" matches everything, "plural/sub" exactly, "*/sub" any resource's `sub`.
function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  return rule.resources.some(
    (r) =>
      r === '*' ||
      r === combined ||
      (subresource !== '' && r.length === subresource.length + 2 && r === `*/${subresource}`),
  );
}

// No resourceNames means any name; otherwise the request must carry one of them, so a request without
// a name (create, list without a metadata.name fieldSelector, deletecollection) never matches.
function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(name);
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return rule.nonResourceURLs.some(
    (u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))),
  );
}

// Whether one rule grants the request.
export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, attrs.verb)) return false;
  if (!attrs.isResourceRequest) return nonResourceURLMatches(rule, attrs.path);
  const combined = attrs.subresource === '' ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
  return (
    apiGroupMatches(rule, attrs.apiGroup) &&
    resourceMatches(rule, combined, attrs.subresource) &&
    resourceNameMatches(rule, attrs.name)
  );
}
