// POST selfsubjectaccessreviews: validated like ValidateSelfSubjectAccessReview and answered from
// the same authorizer the requests go through (selfsubjectaccessreview/rest.go), 201 with the spec
// echoed and status.allowed/reason filled in.
import { decodeJson, decodeObject } from './admit.ts';
import { authorize, type AuthorizeContext } from './authorize.ts';
import { goQuote } from './go-text.ts';
import { isObject } from './json.ts';
import type { Reply } from './reads.ts';
import type { RequestAttributes } from './request-info.ts';
import type { ResourceDef } from './resources.ts';
import { invalidKind, KubeHttpError, type StatusCause } from './status.ts';
import type { UserInfo } from './users.ts';

const RESOURCE_FIELDS = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
const NON_RESOURCE_FIELDS = ['path', 'verb'];

// The known, non-empty string fields of an attributes object (what the typed round trip keeps).
function known(v: Record<string, unknown>, fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) if (typeof v[f] === 'string' && v[f] !== '') out[f] = v[f];
  return out;
}

function causesOf(
  resource: Record<string, string> | undefined,
  nonResource: Record<string, string> | undefined,
  metadata: Record<string, unknown>,
): StatusCause[] {
  const causes: StatusCause[] = [];
  if (resource !== undefined && nonResource !== undefined) {
    const value = `authorization.NonResourceAttributes{Path:${goQuote(nonResource['path'] ?? '')}, Verb:${goQuote(nonResource['verb'] ?? '')}}`;
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${value}: cannot be specified in combination with resourceAttributes`,
      field: 'spec.nonResourceAttributes',
    });
  }
  if (resource === undefined && nonResource === undefined)
    causes.push({
      reason: 'FieldValueInvalid',
      message:
        'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      field: 'spec.resourceAttributes',
    });
  // The apiserver prints the whole ObjectMeta with %#v here; the emulator abbreviates it.
  const set = Object.entries(metadata).filter(
    ([k, v]) => k !== 'managedFields' && v !== undefined && v !== null && v !== '',
  );
  if (set.length > 0)
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: v1.ObjectMeta{${set.map(([k, v]) => `${k}:${JSON.stringify(v)}`).join(', ')}}: must be empty`,
      field: 'metadata',
    });
  return causes;
}

function attributesOf(
  resource: Record<string, string> | undefined,
  nonResource: Record<string, string>,
): RequestAttributes {
  const base = {
    apiVersion: '',
    namespace: '',
    apiGroup: '',
    resource: '',
    subresource: '',
    name: '',
    path: '',
  };
  if (resource === undefined)
    return {
      ...base,
      isResourceRequest: false,
      verb: nonResource['verb'] ?? '',
      path: nonResource['path'] ?? '',
    };
  return {
    ...base,
    isResourceRequest: true,
    verb: resource['verb'] ?? '',
    namespace: resource['namespace'] ?? '',
    apiGroup: resource['group'] ?? '',
    apiVersion: resource['version'] ?? '*',
    resource: resource['resource'] ?? '',
    subresource: resource['subresource'] ?? '',
    name: resource['name'] ?? '',
  };
}

// Answers one SelfSubjectAccessReview for the requesting user.
export function selfSubjectAccessReview(
  ctx: AuthorizeContext,
  user: UserInfo,
  def: ResourceDef,
  raw: string,
): Reply {
  const review = decodeObject(def, decodeJson(raw));
  const spec = isObject(review['spec']) ? review['spec'] : {};
  const ra = isObject(spec['resourceAttributes'])
    ? known(spec['resourceAttributes'], RESOURCE_FIELDS)
    : undefined;
  const nra = isObject(spec['nonResourceAttributes'])
    ? known(spec['nonResourceAttributes'], NON_RESOURCE_FIELDS)
    : undefined;
  const causes = causesOf(ra, nra, review.metadata);
  if (causes.length > 0)
    throw new KubeHttpError(invalidKind({ group: def.group, kind: def.kind }, '', causes));
  const decision = authorize(ctx, user, attributesOf(ra, nra ?? {}));
  return {
    status: 201,
    body: {
      kind: def.kind,
      apiVersion: `${def.group}/${def.version}`,
      metadata: { creationTimestamp: null },
      spec: ra !== undefined ? { resourceAttributes: ra } : { nonResourceAttributes: nra },
      status: { allowed: decision.allowed, ...(decision.reason !== '' ? { reason: decision.reason } : {}) },
    },
  };
}
