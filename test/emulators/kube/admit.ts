// Decoding and admission of request bodies: type-meta checks (400), name rules, Secret and RBAC
// validation and CRD schema pruning/defaulting/validation (422), as the apiserver applies them.
import { goQuote } from './go-text.ts';
import { isObject } from './json.ts';
import { admitRbac, pathSegmentErrors } from './rbac-validate.ts';
import { apiVersionOf, type ResourceDef } from './resources.ts';
import { validateCustomObject } from './schema.ts';
import { badRequest, invalid, KubeHttpError, type StatusCause } from './status.ts';
import { admitSecret } from './secret-validate.ts';
import { pruneAndDefault } from './structural.ts';
import type { KubeObject } from './types.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

// Parses a JSON body into an object, or answers 400 as the apiserver's decoder does.
export function decodeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new KubeHttpError(badRequest(`json: ${err instanceof Error ? err.message : String(err)}`));
  }
}

// Checks apiVersion/kind of a POST/PUT body against the URL's resource; built-ins may omit them.
export function decodeObject(def: ResourceDef, body: unknown): KubeObject {
  if (!isObject(body))
    throw new KubeHttpError(
      badRequest(
        `json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type ${def.kind}`,
      ),
    );
  const want = apiVersionOf(def);
  const apiVersion = body['apiVersion'] ?? (def.custom ? undefined : want);
  const kind = body['kind'] ?? (def.custom ? undefined : def.kind);
  if (kind === undefined || kind === '')
    throw new KubeHttpError(badRequest(`Object 'Kind' is missing in request body`));
  if (apiVersion === undefined || apiVersion === '')
    throw new KubeHttpError(badRequest(`Object 'apiVersion' is missing in request body`));
  if (apiVersion !== want)
    throw new KubeHttpError(
      badRequest(
        `the API version in the data (${String(apiVersion)}) does not match the expected API version (${want})`,
      ),
    );
  if (kind !== def.kind)
    throw new KubeHttpError(
      badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (${def.kind})`),
    );
  const metadata = isObject(body['metadata']) ? body['metadata'] : {};
  return {
    ...body,
    apiVersion: want,
    kind: def.kind,
    metadata: { ...metadata, name: typeof metadata['name'] === 'string' ? metadata['name'] : '' },
  };
}

function nameCauses(name: string): StatusCause[] {
  if (name === '')
    return [
      {
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      },
    ];
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    const msg =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    return [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(name)}: ${msg}`,
        field: 'metadata.name',
      },
    ];
  }
  return [];
}

// labels/annotations must be string maps; anything else fails decoding (400), not validation.
function checkStringMaps(meta: Record<string, unknown>): void {
  for (const field of ['labels', 'annotations']) {
    const m = meta[field];
    if (m === undefined || m === null) continue;
    if (!isObject(m) || Object.values(m).some((v) => typeof v !== 'string')) {
      throw new KubeHttpError(
        badRequest(
          `json: cannot unmarshal metadata.${field} into Go struct field ObjectMeta.metadata.${field} of type string`,
        ),
      );
    }
  }
}

// RBAC objects only need a name a URL path segment can carry.
function rbacNameCauses(name: string): StatusCause[] {
  if (name === '') return nameCauses(name);
  return pathSegmentErrors(name).map((msg) => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${goQuote(name)}: ${msg}`,
    field: 'metadata.name',
  }));
}

// Normalizes `obj` in place for storage and throws 422 Invalid with every cause found; `old` is the
// stored object on an update. A body the typed decoder rejects throws DecodeError (see verbs.ts).
export function admit(def: ResourceDef, obj: KubeObject, old?: KubeObject): KubeObject {
  checkStringMaps(obj.metadata);
  const rbac = def.group === 'rbac.authorization.k8s.io';
  const causes: StatusCause[] = rbac ? rbacNameCauses(obj.metadata.name) : nameCauses(obj.metadata.name);
  if (def.group === '' && def.plural === 'secrets') causes.push(...admitSecret(obj, old));
  if (rbac) causes.push(...admitRbac(def, obj, old));
  if (def.group === '' && def.plural === 'pods') {
    const status = isObject(obj['status']) ? obj['status'] : {};
    obj['status'] = { phase: 'Pending', ...status };
  }
  if (def.custom && def.schema !== undefined) {
    pruneAndDefault(obj, def.schema);
    causes.push(...validateCustomObject(obj, def.schema));
  }
  if (causes.length > 0) throw new KubeHttpError(invalid(def, obj.metadata.name, causes));
  return obj;
}
