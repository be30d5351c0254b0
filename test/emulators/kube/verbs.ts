// The write verbs on one resource target, following the apiserver's generic registry: create,
// update (PUT), patch and delete, with optimistic concurrency and status-subresource rules.
import { randomBytes } from 'node:crypto';
import { admit, decodeJson, decodeObject } from './admit.ts';
import { canonical, isObject } from './json.ts';
import { jsonPatch, mergePatch } from './patch.ts';
import type { Reply, VerbContext } from './reads.ts';
import type { ResourceDef } from './resources.ts';
import type { ResourceTarget } from './routes.ts';
import {
  alreadyExists,
  badRequest,
  conflict,
  failure,
  invalid,
  KubeHttpError,
  notFound,
  success,
} from './status.ts';
import type { KubeObject } from './types.ts';

const SERVER_META = ['uid', 'creationTimestamp', 'generation', 'resourceVersion', 'managedFields'];
const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

function fail(body: ReturnType<typeof failure>): never {
  throw new KubeHttpError(body);
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
  if (rv !== undefined && rv !== '')
    fail(failure(500, 'resourceVersion should not be set on objects to be created', 'InternalError'));
  for (const k of [...SERVER_META, 'deletionTimestamp']) delete obj.metadata[k];
  if (t.def.hasStatus && t.def.custom) delete obj['status'];
  if (t.def.group === '' && t.def.plural === 'pods') obj['status'] = {};
  admit(t.def, obj);
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

// The shared tail of PUT and PATCH: preconditions, subresource masking, admission, no-op detection.
function commit(
  ctx: VerbContext,
  t: ResourceTarget,
  old: KubeObject,
  candidate: KubeObject,
  isPatch: boolean,
): Reply {
  const def: ResourceDef = t.def;
  if (t.subresource === 'status' && ctx.takeStatusConflict()) {
    ctx.store.touch(def, old);
    fail(conflict(def, old.metadata.name));
  }
  const rv = candidate.metadata['resourceVersion'];
  if (rv === undefined || rv === '') {
    if (def.custom && !isPatch) {
      const cause = {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0x0: must be specified for an update',
        field: 'metadata.resourceVersion',
      };
      fail(invalid(def, old.metadata.name, [cause]));
    }
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
  admit(def, next);
  if (isNoOp(next, old)) return { status: 200, body: structuredClone(old) };
  return { status: 200, body: structuredClone(ctx.store.update(def, old, next)) };
}

// PUT of a whole object (or its /status).
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
    if (t.def.createOnUpdate && t.subresource === '') return insert(ctx, t, obj);
    fail(notFound(t.def, t.name));
  }
  return commit(ctx, t, old, obj, false);
}

// PATCH: JSON patch, merge patch, and strategic merge (built-in kinds only, handled as a merge patch).
export function patchObject(ctx: VerbContext, t: ResourceTarget, raw: string, contentType: string): Reply {
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
  const old = ctx.store.find(t.def, t.namespace ?? '', t.name) ?? fail(notFound(t.def, t.name));
  const body = decodeJson(raw);
  let patched: unknown;
  if (type === 'application/json-patch+json') patched = jsonPatch(old, body);
  else {
    if (!isObject(body))
      fail(
        badRequest(
          `json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type map[string]interface {}`,
        ),
      );
    patched = mergePatch(structuredClone(old), body);
  }
  const candidate = decodeObject(t.def, patched);
  candidate.metadata.name = t.name;
  placeInNamespace(t, candidate);
  return commit(ctx, t, old, candidate, true);
}

// DELETE with optional DeleteOptions preconditions; answers with the object or a Success Status.
export function deleteObject(ctx: VerbContext, t: ResourceTarget, raw: string): Reply {
  const old = ctx.store.find(t.def, t.namespace ?? '', t.name) ?? fail(notFound(t.def, t.name));
  const opts = raw.trim() === '' ? {} : decodeJson(raw);
  const pre = isObject(opts) && isObject(opts['preconditions']) ? opts['preconditions'] : {};
  const rv = old.metadata['resourceVersion'];
  if (typeof pre['resourceVersion'] === 'string' && pre['resourceVersion'] !== rv) {
    fail(
      conflict(
        t.def,
        t.name,
        `Precondition failed: ResourceVersion in precondition: ${pre['resourceVersion']}, ResourceVersion in object meta: ${String(rv)}`,
      ),
    );
  }
  if (typeof pre['uid'] === 'string' && pre['uid'] !== old.metadata['uid']) {
    fail(
      conflict(
        t.def,
        t.name,
        `Precondition failed: UID in precondition: ${pre['uid']}, UID in object meta: ${String(old.metadata['uid'])}`,
      ),
    );
  }
  ctx.store.delete(t.def, t.namespace ?? '', t.name);
  const uid = String(old.metadata['uid'] ?? '');
  return { status: 200, body: t.def.returnsDeleted ? structuredClone(old) : success(t.def, t.name, uid) };
}
