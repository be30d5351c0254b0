// Defaulting and validation of Roles, ClusterRoles and their bindings, with the field errors of
// pkg/apis/rbac/validation/validation.go (and SetDefaults_Subject's apiGroup defaulting).
import { goQuote } from './go-text.ts';
import { isObject } from './json.ts';
import type { ResourceDef } from './resources.ts';
import type { StatusCause } from './status.ts';
import type { KubeObject } from './types.ts';

const RBAC = 'rbac.authorization.k8s.io';
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

function required(field: string, detail = ''): StatusCause {
  return {
    reason: 'FieldValueRequired',
    message: detail === '' ? 'Required value' : `Required value: ${detail}`,
    field,
  };
}

function invalidValue(field: string, rendered: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${rendered}: ${detail}`, field };
}

function notSupported(field: string, value: string, supported: string[]): StatusCause {
  const list = supported.map(goQuote).join(', ');
  return {
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${goQuote(value)}: supported values: ${list}`,
    field,
  };
}

// %#v of a []string.
function goStrings(items: string[]): string {
  return `[]string{${items.map(goQuote).join(', ')}}`;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

// path.IsValidPathSegmentName, the only rule RBAC object names (and roleRef names) follow.
export function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

function ruleCauses(rule: Record<string, unknown>, namespaced: boolean, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const [verbs, groups, resources, names, urls] = [
    'verbs',
    'apiGroups',
    'resources',
    'resourceNames',
    'nonResourceURLs',
  ].map((k) => strings(rule[k])) as [string[], string[], string[], string[], string[]];
  if (verbs.length === 0) causes.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (urls.length > 0) {
    if (namespaced)
      causes.push(
        invalidValue(
          `${path}.nonResourceURLs`,
          goStrings(urls),
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    if (groups.length > 0 || resources.length > 0 || names.length > 0)
      causes.push(
        invalidValue(
          `${path}.nonResourceURLs`,
          goStrings(urls),
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    return causes;
  }
  if (groups.length === 0)
    causes.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (resources.length === 0)
    causes.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  if (names.length > 0 && resources.length > 1)
    causes.push(required(`${path}.resourceNames`, 'resource names cannot apply to multiple resources'));
  return causes;
}

function subjectCauses(s: Record<string, unknown>, namespaced: boolean, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const [kind, name, apiGroup, ns] = [
    str(s['kind']),
    str(s['name']),
    str(s['apiGroup']),
    str(s['namespace']),
  ];
  if (name === '') causes.push(required(`${path}.name`));
  switch (kind) {
    case 'ServiceAccount':
      if (name !== '' && (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)))
        causes.push(invalidValue(`${path}.name`, goQuote(name), DNS1123_MSG));
      if (apiGroup !== '') causes.push(notSupported(`${path}.apiGroup`, apiGroup, ['']));
      if (!namespaced && ns === '') causes.push(required(`${path}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (name === '')
        causes.push(invalidValue(`${path}.name`, '""', `${kind.toLowerCase()} name cannot be empty`));
      if (apiGroup !== RBAC) causes.push(notSupported(`${path}.apiGroup`, apiGroup, [RBAC]));
      break;
    default:
      causes.push(notSupported(`${path}.kind`, kind, ['ServiceAccount', 'User', 'Group']));
  }
  return causes;
}

function roleRef(obj: KubeObject): { apiGroup: string; kind: string; name: string } {
  const r = isObject(obj['roleRef']) ? obj['roleRef'] : {};
  return { apiGroup: str(r['apiGroup']), kind: str(r['kind']), name: str(r['name']) };
}

function bindingCauses(obj: KubeObject, namespaced: boolean, old: KubeObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const ref = roleRef(obj);
  if (ref.apiGroup !== RBAC) causes.push(notSupported('roleRef.apiGroup', ref.apiGroup, [RBAC]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) causes.push(notSupported('roleRef.kind', ref.kind, kinds));
  if (ref.name === '') causes.push(required('roleRef.name'));
  else
    for (const msg of pathSegmentErrors(ref.name))
      causes.push(invalidValue('roleRef.name', goQuote(ref.name), msg));
  const subjects = Array.isArray(obj['subjects']) ? obj['subjects'] : [];
  subjects.forEach((s, i) =>
    causes.push(...subjectCauses(isObject(s) ? s : {}, namespaced, `subjects[${i}]`)),
  );
  if (old !== undefined) {
    const was = roleRef(old);
    if (was.apiGroup !== ref.apiGroup || was.kind !== ref.kind || was.name !== ref.name) {
      const rendered = `rbac.RoleRef{APIGroup:${goQuote(ref.apiGroup)}, Kind:${goQuote(ref.kind)}, Name:${goQuote(ref.name)}}`;
      causes.push(invalidValue('roleRef', rendered, 'cannot change roleRef'));
    }
  }
  return causes;
}

// Defaults subjects' apiGroup (User/Group → rbac group) in place, then returns every field error.
export function admitRbac(def: ResourceDef, obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
  if (def.kind === 'Role' || def.kind === 'ClusterRole') {
    const rules = Array.isArray(obj['rules']) ? obj['rules'] : [];
    return rules.flatMap((r, i) => ruleCauses(isObject(r) ? r : {}, def.namespaced, `rules[${i}]`));
  }
  const subjects = Array.isArray(obj['subjects']) ? obj['subjects'] : [];
  for (const s of subjects)
    if (isObject(s) && str(s['apiGroup']) === '' && (s['kind'] === 'User' || s['kind'] === 'Group'))
      s['apiGroup'] = RBAC;
  return bindingCauses(obj, def.namespaced, old);
}
