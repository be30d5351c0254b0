// The RBAC authorizer over the emulator's stored Roles, ClusterRoles and their bindings, visiting
// rules in the apiserver's order (ClusterRoleBindings, then the namespace's RoleBindings) and giving
// its reasons: "RBAC: allowed by ..." or the role lookup errors met on the way.
import { goQuote } from './go-text.ts';
import { isObject } from './json.ts';
import type { Registry, ResourceDef } from './resources.ts';
import type { RequestAttributes } from './request-info.ts';
import { ruleAllows, rulesOf, type PolicyRule } from './rbac-rules.ts';
import type { StoreView } from './store.ts';
import type { KubeObject } from './types.ts';

// An authorizer's answer: allowed or not, and the reason the apiserver would carry along.
export interface Decision {
  allowed: boolean;
  reason: string;
}

// Who is asking (name and groups are all RBAC looks at).
export interface Subject {
  name: string;
  groups: string[];
}

interface BindingSubject {
  kind: string;
  name: string;
  namespace: string;
}

interface RoleRef {
  kind: string;
  name: string;
}

const RBAC = 'rbac.authorization.k8s.io';

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function subjectsOf(binding: KubeObject): BindingSubject[] {
  const list = Array.isArray(binding['subjects']) ? binding['subjects'] : [];
  return list
    .filter(isObject)
    .map((s) => ({ kind: str(s['kind']), name: str(s['name']), namespace: str(s['namespace']) }));
}

function roleRefOf(binding: KubeObject): RoleRef {
  const ref = isObject(binding['roleRef']) ? binding['roleRef'] : {};
  return { kind: str(ref['kind']), name: str(ref['name']) };
}

// appliesToUser: a ServiceAccount subject without namespace means the binding's namespace.
function applies(user: Subject, s: BindingSubject, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return user.name === s.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace !== '' ? s.namespace : bindingNamespace;
      return ns !== '' && user.name === `system:serviceaccount:${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

// describeSubject in pkg/registry/rbac/validation/rule.go.
function describeSubject(s: BindingSubject, bindingNamespace: string): string {
  if (s.kind !== 'ServiceAccount') return `${s.kind} ${goQuote(s.name)}`;
  const ns = s.namespace !== '' ? s.namespace : bindingNamespace;
  return `${s.kind} ${goQuote(`${s.name}/${ns}`)}`;
}

// Go's utilerrors.Aggregate: one message alone, several deduplicated in brackets.
function aggregate(errors: string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`;
}

// Read access to the RBAC objects of one emulator.
export class RbacView {
  readonly #store: StoreView;
  readonly #defs: Record<'roles' | 'rolebindings' | 'clusterroles' | 'clusterrolebindings', ResourceDef>;

  constructor(store: StoreView, registry: Registry) {
    const def = (plural: string): ResourceDef => {
      const d = registry.byPath(RBAC, 'v1', plural);
      if (d === undefined) throw new Error(`kube emulator: no ${plural} resource registered`);
      return d;
    };
    this.#store = store;
    this.#defs = {
      roles: def('roles'),
      rolebindings: def('rolebindings'),
      clusterroles: def('clusterroles'),
      clusterrolebindings: def('clusterrolebindings'),
    };
  }

  // GetRoleReferenceRules with the listers' NotFound wording (singular lower-case kind).
  roleRules(ref: RoleRef, namespace: string): PolicyRule[] | string {
    if (ref.kind !== 'Role' && ref.kind !== 'ClusterRole')
      return `unsupported role reference kind: ${goQuote(ref.kind)}`;
    const found =
      ref.kind === 'Role'
        ? this.#store.find(this.#defs.roles, namespace, ref.name)
        : this.#store.find(this.#defs.clusterroles, '', ref.name);
    if (found === undefined) return `${ref.kind.toLowerCase()}.${RBAC} ${goQuote(ref.name)} not found`;
    return rulesOf(found);
  }

  // Calls `visit` with every rule granted to `user` in `namespace` and a description of its source,
  // or with an error string; stops when `visit` returns false.
  visitRules(
    user: Subject,
    namespace: string,
    visit: (source: string, rule: PolicyRule | undefined, error: string | undefined) => boolean,
  ): void {
    const passes: Array<[ResourceDef, string | undefined, string]> = [
      [this.#defs.clusterrolebindings, undefined, 'ClusterRoleBinding'],
    ];
    if (namespace !== '') passes.push([this.#defs.rolebindings, namespace, 'RoleBinding']);
    for (const [def, ns, kind] of passes) {
      for (const binding of this.#store.list(def, ns)) {
        const bindingNs = ns ?? '';
        const subject = subjectsOf(binding).find((s) => applies(user, s, bindingNs));
        if (subject === undefined) continue;
        const ref = roleRefOf(binding);
        const rules = this.roleRules(ref, bindingNs);
        if (typeof rules === 'string') {
          if (!visit('', undefined, rules)) return;
          continue;
        }
        const name = kind === 'RoleBinding' ? `${binding.metadata.name}/${bindingNs}` : binding.metadata.name;
        const source = `${kind} ${goQuote(name)} of ${ref.kind} ${goQuote(ref.name)} to ${describeSubject(subject, bindingNs)}`;
        for (const rule of rules) if (!visit(source, rule, undefined)) return;
      }
    }
  }

  // RBACAuthorizer.Authorize.
  authorize(user: Subject, attrs: RequestAttributes): Decision {
    const errors: string[] = [];
    let reason: string | undefined;
    this.visitRules(user, attrs.namespace, (source, rule, error) => {
      if (rule !== undefined && ruleAllows(attrs, rule)) {
        reason = `RBAC: allowed by ${source}`;
        return false;
      }
      if (error !== undefined) errors.push(error);
      return true;
    });
    if (reason !== undefined) return { allowed: true, reason };
    return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregate(errors)}` : '' };
  }
}
