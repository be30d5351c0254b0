// Routes one authenticated request to discovery or to a verb, applying the RBAC emulation first,
// and turns every KubeHttpError into its Status reply.
import { discoveryDoc } from './discovery.ts';
import type { Faults } from './faults.ts';
import type { Registry } from './resources.ts';
import { route, type ResourceTarget } from './routes.ts';
import { failure, forbidden, KubeHttpError } from './status.ts';
import { getObject, listObjects, type Reply, type VerbContext } from './reads.ts';
import { createObject, deleteObject, patchObject, replaceObject } from './verbs.ts';

export interface DispatchContext extends VerbContext {
  registry: Registry;
  faults: Faults;
  user: string;
  serverAddress: string;
}

const NOT_FOUND = failure(404, 'the server could not find the requested resource', 'NotFound', {});
const NOT_ALLOWED = failure(
  405,
  'the server does not allow this method on the requested resource',
  'MethodNotAllowed',
  {},
);

// The RBAC verb the apiserver derives from method and URL.
function rbacVerb(method: string, t: ResourceTarget, query: URLSearchParams): string {
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
      return t.name !== '' ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return t.name !== '' ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function isJsonBody(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === '' || type === 'application/json';
}

function resourceVerb(
  ctx: DispatchContext,
  method: string,
  t: ResourceTarget,
  verb: string,
  query: URLSearchParams,
  raw: string,
  contentType: string,
): Reply {
  const needsNamespace = t.def.namespaced && t.namespace === undefined;
  if (verb === 'watch')
    throw new KubeHttpError(failure(400, 'the kube emulator does not implement watch', 'BadRequest'));
  if (verb === 'list' && t.subresource === '') return listObjects(ctx, t, query);
  if (needsNamespace || verb === 'deletecollection' || (verb === 'create') !== (t.name === ''))
    throw new KubeHttpError(NOT_ALLOWED);
  if ((method === 'POST' || method === 'PUT') && !isJsonBody(contentType)) {
    const msg = `the body of the request was in an unknown format - accepted media types include: application/json`;
    throw new KubeHttpError(failure(415, msg, 'UnsupportedMediaType'));
  }
  switch (verb) {
    case 'get':
      return getObject(ctx, t);
    case 'create':
      if (t.subresource !== '') throw new KubeHttpError(NOT_ALLOWED);
      return createObject(ctx, t, raw);
    case 'update':
      return replaceObject(ctx, t, raw);
    case 'patch':
      return patchObject(ctx, t, raw, contentType);
    case 'delete':
      if (t.subresource !== '') throw new KubeHttpError(NOT_ALLOWED);
      return deleteObject(ctx, t, raw);
    default:
      throw new KubeHttpError(NOT_ALLOWED);
  }
}

// Answers one request that already passed authentication and fault injection.
export function dispatch(
  ctx: DispatchContext,
  method: string,
  url: URL,
  raw: string,
  contentType: string,
): Reply {
  const target = route(ctx.registry, url.pathname);
  try {
    if (target.type === 'unknown') return { status: 404, body: NOT_FOUND };
    if (target.type === 'discovery') {
      if (method !== 'GET') return { status: 405, body: NOT_ALLOWED };
      const doc = discoveryDoc(ctx.registry, target.segments, ctx.serverAddress);
      return doc === undefined ? { status: 404, body: NOT_FOUND } : { status: 200, body: doc };
    }
    const t = target.target;
    const verb = rbacVerb(method, t, url.searchParams);
    const resource = t.subresource === '' ? t.def.plural : `${t.def.plural}/${t.subresource}`;
    if (ctx.faults.isForbidden(verb, resource, t.namespace ?? '')) {
      return {
        status: 403,
        body: forbidden(t.def, t.name, ctx.user, verb, t.subresource, t.namespace ?? ''),
      };
    }
    return resourceVerb(ctx, method, t, verb, url.searchParams, raw, contentType);
  } catch (err) {
    if (err instanceof KubeHttpError) return { status: err.body.code, body: err.body };
    throw err;
  }
}
