// The write verbs on one resource target, following the apiserver's generic registry: create,
// update (PUT), patch and delete, with optimistic concurrency and status-subresource rules. A dry-run
// runs the very same steps against a DryRunStore (see dry-run.ts).
import { randomBytes } from 'node:crypto';
import { admit, decodeJson, decodeObject } from './admit.ts';
import { goJson, goQuote, goValue } from './go-text.ts';
import { canonical, isObject } from './json.ts';
import { applyJsonPatch, decodeJsonPatch } from './json-patch.ts';
import { decodeMergePatch, decodeStrategicPatch, mergePatch } from './patch.ts';
import type { Reply, VerbContext } from './reads.ts';
import type { ResourceDef } from './resources.ts';
import type { ResourceTarget } from './routes.ts';
import { DecodeError } from './secret-validate.ts';
import {
  alreadyExists,
  badRequest,
  conflict,
  failure,
  invalidKind,
  KubeHttpError,
  notFound,
  success,
  type StatusBody,
} from './status.ts';
import type { KubeObject } from './types.ts';

const SERVER_META = ['uid', 'creationTimestamp', 'generation', 'resourceVersion', 'managedFields'];
const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

// How a typed-decode failure (bad base64 in Secret data) is reported for this request.
type OnDecodeError = (message: string) => StatusBody;

function fail(body: StatusBody): never {
  throw new KubeHttpError(body);
}

// create/update: transformDecodeError's 400.
function bodyDecodeError(def: ResourceDef): OnDecodeError {
  return (msg) =>
    badRequest(`${def.kind} in version ${goQuote(def.version)} cannot be handled as a ${def.kind}: ${msg}`);
}

// json/merge patch: the patched document did not decode, a 422 on the "patch" field.
function patchedDecodeError(patched: unknown): OnDecodeError {
  return (msg) =>
    invalidKind({ group: '', kind: '' }, '', [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${goQuote(goJson(patched))}: ${msg}`,
        field: 'patch',
      },
    ]);
}

// strategic merge patch: the unstructured converter's error, shown against the patch map.
function strategicDecodeError(patch: unknown): OnDecodeError {
  return (msg) =>
    invalidKind({ group: '', kind: '' }, '', [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${goQuote(goValue(patch))}: error decoding from json: ${msg}`,
        field: 'patch',
      },
    ]);
}

function admitWith(
  def: ResourceDef,
  obj: KubeObject,
  old: KubeObject | undefined,
  onDecode: OnDecodeError,
): void {
  try {
    admit(def, obj, old);
  } catch (err) {
    if (err instanceof DecodeError) fail(onDecode(err.message));
    throw err;
  }
}

// Body namespace must match the URL's; the URL's wins when the body leaves it out.
function placeInNamespace(t: ResourceTarget, obj: KubeObject): void {
  const ns = obj.metadata.namespace;
  if (!t.def.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  if (ns !== undefined && ns !== '' && ns !== t.namespace) {
    fail(badRequest('the namespace of the provided object does not match the namespace sent on the request'));
  }
  if (t.namespace !== undefined) obj.metadata.namespace = t.namespace;
}

function generatedName(prefix: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return prefix + [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

function insert(ctx: VerbContext, t: ResourceTarget, obj: KubeObject): Reply {
  placeInNamespace(t, obj);
  if (obj.metadata.name === '' && typeof obj.metadata['generateName'] === 'string')
    obj.metadata.name = generatedName(obj.metadata['generateName']);
  const rv = obj.metadata['resourceVersion'];
  // Only etcd's create refuses a preset resourceVersion; a dry-run never gets there.
  if (rv !== undefined && rv !== '' && !ctx.dryRun)
    fail(failure(500, 'resourceVersion should not be set on objects to be created', 'InternalError'));
  for (const k of [
    ...SERVER_META.filter((m) => !(ctx.dryRun && m === 'resourceVersion')),
    'deletionTimestamp',
  ])
    delete obj.metadata[k];
  if (t.def.hasStatus && t.def.custom) delete obj['status'];
  if (t.def.group === '' && t.def.plural === 'pods') obj['status'] = {};
  admitWith(t.def, obj, undefined, bodyDecodeError(t.def));
  if (ctx.store.find(t.def, t.namespace ?? '', obj.metadata.name) !== undefined)
    fail(alreadyExists(t.def, obj.metadata.name));
  return { status: 201, body: structuredClone(ctx.store.insert(t.def, obj)) };
}

// POST to a collection.
export function createObject(ctx: VerbContext, t: ResourceTarget, raw: string): Reply {
  return insert(ctx, t, decodeObject(t.def, decodeJson(raw)));
}

// The apiserver skips the storage write (and keeps the resourceVersion) when an update changes nothing.
function isNoOp(next: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => {
    const metadata: Record<string, unknown> = { ...o.metadata };
    for (const k of SERVER_META) delete metadata[k];
    return { ...o, metadata };
  };
  return canonical(strip(next)) === canonical(strip(old));
}

// Store.Update's "must be specified for an update": the kind slot holds the resource.
function missingResourceVersion(def: ResourceDef, name: string): StatusBody {
  const cause = {
    reason: 'FieldValueInvalid',
    message: 'Invalid value: 0x0: must be specified for an update',
    field: 'metadata.resourceVersion',
  };
  return invalidKind({ group: def.group, kind: def.plural }, name, [cause]);
}

// The shared tail of PUT and PATCH: preconditions, subresource masking, admission, no-op detection.
function commit(
  ctx: VerbContext,
  t: ResourceTarget,
  old: KubeObject,
  candidate: KubeObject,
  isPatch: boolean,
  onDecode: OnDecodeError,
): Reply {
  const def: ResourceDef = t.def;
  if (t.subresource === 'status' && ctx.takeStatusConflict()) {
    ctx.store.touch(def, old);
    fail(conflict(def, old.metadata.name));
  }
  const rv = candidate.metadata['resourceVersion'];
  if (rv === undefined || rv === '') {
    if (def.custom && !isPatch) fail(missingResourceVersion(def, old.metadata.name));
  } else if (rv !== old.metadata['resourceVersion']) fail(conflict(def, old.metadata.name));
  let next: KubeObject;
  if (t.subresource === 'status') {
    next = structuredClone(old);
    if (candidate['status'] === undefined) delete next['status'];
    else next['status'] = candidate['status'];
  } else {
    next = candidate;
    if (def.hasStatus) {
      if (old['status'] === undefined) delete next['status'];
      else next['status'] = structuredClone(old['status']);
    }
  }
  admitWith(def, next, old, onDecode);
  if (isNoOp(next, old)) return { status: 200, body: structuredClone(old) };
  return { status: 200, body: structuredClone(ctx.store.update(def, old, next)) };
}

// PUT of a whole object (or its /status); a missing object is created where the resource allows it,
// if the user may also create it (the update handler's create-on-update authorization).
export function replaceObject(ctx: VerbContext, t: ResourceTarget, raw: string): Reply {
  const obj = decodeObject(t.def, decodeJson(raw));
  if (obj.metadata.name !== t.name)
    fail(
      badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${t.name})`,
      ),
    );
  placeInNamespace(t, obj);
  const old = ctx.store.find(t.def, t.namespace ?? '', t.name);
  if (old === undefined) {
    if (!t.def.createOnUpdate || t.subresource !== '') fail(notFound(t.def, t.name));
    const denied = ctx.forbidCreate(t.name);
    if (denied !== undefined) fail(denied);
    return insert(ctx, t, obj);
  }
  return commit(ctx, t, old, obj, false, bodyDecodeError(t.def));
}

// PATCH: JSON patch, merge patch, and strategic merge (built-in kinds only, handled as a merge patch).
export function patchObject(ctx: VerbContext, t: ResourceTarget, raw: string, contentType: string): Reply {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const old = ctx.store.find(t.def, t.namespace ?? '', t.name) ?? fail(notFound(t.def, t.name));
  const body = decodeJson(raw);
  let patched: unknown;
  let onDecode: OnDecodeError;
  if (type === 'application/json-patch+json') {
    patched = applyJsonPatch(old, decodeJsonPatch(body, ctx.fieldValidation));
    onDecode = patchedDecodeError(patched);
  } else if (type === 'application/merge-patch+json') {
    patched = mergePatch(structuredClone(old), decodeMergePatch(body, ctx.fieldValidation));
    onDecode = patchedDecodeError(patched);
  } else {
    const patch = decodeStrategicPatch(body);
    patched = mergePatch(structuredClone(old), patch);
    onDecode = strategicDecodeError(patch);
  }
  const candidate = decodeObject(t.def, patched);
  candidate.metadata.name = t.name;
  placeInNamespace(t, candidate);
  return commit(ctx, t, old, candidate, true, onDecode);
}

// The 415 for a patch media type the resource does not take (custom resources: no strategic merge).
export function checkPatchType(t: ResourceTarget, contentType: string): void {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const accepted = PATCH_TYPES.filter((p) => !(t.def.custom && p.includes('strategic')));
  if (!accepted.includes(type)) {
    fail(
      failure(
        415,
        `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
        'UnsupportedMediaType',
      ),
    );
  }
}

// DeleteOptions from a DELETE body ({} when there is none).
export function deleteOptions(raw: string): Record<string, unknown> {
  const opts = raw.trim() === '' ? {} : decodeJson(raw);
  return isObject(opts) ? opts : {};
}

// DELETE with optional DeleteOptions preconditions; answers with the object or a Success Status.
export function deleteObject(ctx: VerbContext, t: ResourceTarget, raw: string): Reply {
  const old = ctx.store.find(t.def, t.namespace ?? '', t.name) ?? fail(notFound(t.def, t.name));
  const opts = deleteOptions(raw);
  const pre = isObject(opts['preconditions']) ? opts['preconditions'] : {};
  const rv = old.metadata['resourceVersion'];
  const why = (what: string, want: unknown, got: unknown): string =>
    `Precondition failed: ${what} in precondition: ${String(want)}, ${what} in object meta: ${String(got)}`;
  if (typeof pre['resourceVersion'] === 'string' && pre['resourceVersion'] !== rv)
    fail(conflict(t.def, t.name, why('ResourceVersion', pre['resourceVersion'], rv)));
  if (typeof pre['uid'] === 'string' && pre['uid'] !== old.metadata['uid'])
    fail(conflict(t.def, t.name, why('UID', pre['uid'], old.metadata['uid'])));
  ctx.store.delete(t.def, t.namespace ?? '', t.name);
  const uid = String(old.metadata['uid'] ?? '');
  return { status: 200, body: t.def.returnsDeleted ? structuredClone(old) : success(t.def, t.name, uid) };
}
