// Answers one authenticated request the way the apiserver's handler chain does: authorization
// (RBAC + forbid) on the attributes parsed from the URL, then discovery, access reviews or a verb
// (with write options and dry-run), turning every KubeHttpError into its Status reply.
import { selfSubjectAccessReview } from './access-review.ts';
import { authorize, type AuthorizeContext } from './authorize.ts';
import { discoveryDoc } from './discovery.ts';
import { asksDryRun, DryRunStore, writeOptions, type OptionsKind } from './dry-run.ts';
import { ApiserverPanic } from './json-patch.ts';
import type { Registry } from './resources.ts';
import { requestAttributes, type RequestAttributes } from './request-info.ts';
import { route, type ResourceTarget } from './routes.ts';
import { failure, forbidden, forbiddenStatus, KubeHttpError, tooLarge } from './status.ts';
import { getObject, listObjects, type Reply, type VerbContext } from './reads.ts';
import type { ObjectStore } from './store.ts';
import type { UserInfo } from './users.ts';
import {
  checkPatchType,
  createObject,
  deleteObject,
  deleteOptions,
  patchObject,
  replaceObject,
} from './verbs.ts';

// Everything one request is answered from: storage, resource table, authorizer state.
export interface DispatchContext extends AuthorizeContext {
  store: ObjectStore;
  registry: Registry;
  serverAddress: string;
  takeStatusConflict(): boolean;
}

// One request as the server read it.
export interface DispatchRequest {
  method: string;
  url: URL;
  raw: string;
  contentType: string;
  user: UserInfo;
}

const NOT_FOUND = failure(404, 'the server could not find the requested resource', 'NotFound', {});
const NOT_ALLOWED = failure(
  405,
  'the server does not allow this method on the requested resource',
  'MethodNotAllowed',
  {},
);
// The apiserver's default --max-request-bytes for write bodies (3 MiB).
const MAX_BODY_BYTES = 3 * 1024 * 1024;
// What WithPanicRecovery writes (http.Error adds the newline).
const PANIC_TEXT = 'This request caused apiserver to panic. Look in the logs for details.\n';

const OPTIONS_KIND: Record<string, OptionsKind> = {
  create: 'CreateOptions',
  update: 'UpdateOptions',
  patch: 'PatchOptions',
  delete: 'DeleteOptions',
};

function isJsonBody(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === '' || type === 'application/json';
}

function fail(body: ReturnType<typeof failure>): never {
  throw new KubeHttpError(body);
}

// The context a write verb runs with: the real store, or a dry-run view of it.
function verbContext(
  ctx: DispatchContext,
  req: DispatchRequest,
  attrs: RequestAttributes,
  options: { dryRun: boolean; fieldValidation: string },
): VerbContext {
  return {
    store: options.dryRun ? new DryRunStore(ctx.store) : ctx.store,
    dryRun: options.dryRun,
    fieldValidation: options.fieldValidation,
    takeStatusConflict: () => !options.dryRun && ctx.takeStatusConflict(),
    forbidCreate: (name) => {
      const decision = authorize(ctx, req.user, { ...attrs, verb: 'create', subresource: '', name });
      return decision.allowed
        ? undefined
        : forbiddenStatus(attrs.apiGroup, attrs.resource, name, decision.reason);
    },
  };
}

// A request on a served resource: method/target checks, media types, body limit and write options in
// the handlers' order, then the verb itself.
function resourceVerb(
  ctx: DispatchContext,
  req: DispatchRequest,
  t: ResourceTarget,
  attrs: RequestAttributes,
): Reply {
  const { method, url, raw, contentType } = req;
  const verb = attrs.verb;
  const readOnly: VerbContext = verbContext(ctx, req, attrs, { dryRun: false, fieldValidation: '' });
  if (verb === 'watch') fail(failure(400, 'the kube emulator does not implement watch', 'BadRequest'));
  if (t.def.virtual === 'access-review' && (verb !== 'create' || t.name !== '')) fail(NOT_ALLOWED);
  if (verb === 'list' && t.subresource === '') return listObjects(readOnly, t, url.searchParams);
  const needsNamespace = t.def.namespaced && t.namespace === undefined;
  if (needsNamespace || verb === 'deletecollection' || (verb === 'create') !== (t.name === ''))
    fail(NOT_ALLOWED);
  if (verb === 'get' || verb === 'list') return getObject(readOnly, t);
  if ((method === 'POST' || method === 'PUT') && !isJsonBody(contentType)) {
    const msg = `the body of the request was in an unknown format - accepted media types include: application/json`;
    fail(failure(415, msg, 'UnsupportedMediaType'));
  }
  if (t.def.virtual === 'access-review') {
    writeOptions(url.searchParams, 'CreateOptions');
    return selfSubjectAccessReview(ctx, req.user, t.def, raw);
  }
  if (verb === 'patch') checkPatchType(t, contentType);
  if (verb !== 'delete' && Buffer.byteLength(raw) > MAX_BODY_BYTES)
    fail(tooLarge(`limit is ${MAX_BODY_BYTES}`));
  const kind = OPTIONS_KIND[verb];
  if (kind === undefined) fail(NOT_ALLOWED);
  const options = writeOptions(
    url.searchParams,
    kind,
    verb === 'delete' ? deleteOptions(raw)['dryRun'] : undefined,
  );
  const vctx = verbContext(ctx, req, attrs, options);
  switch (verb) {
    case 'create':
      if (t.subresource !== '') fail(NOT_ALLOWED);
      return createObject(vctx, t, raw);
    case 'update':
      return replaceObject(vctx, t, raw);
    case 'patch':
      return patchObject(vctx, t, raw, contentType);
    default:
      if (t.subresource !== '') fail(NOT_ALLOWED);
      return deleteObject(vctx, t, raw);
  }
}

// Answers one request that already passed authentication and fault injection.
export function dispatch(ctx: DispatchContext, req: DispatchRequest): Reply {
  const attrs = requestAttributes(req.method, req.url);
  const dryRun = attrs.isResourceRequest && asksDryRun(req.method, req.url.searchParams, req.raw);
  const withDryRun = (reply: Reply): Reply => (dryRun ? { ...reply, dryRun } : reply);
  try {
    const decision = authorize(ctx, req.user, attrs);
    if (!decision.allowed) {
      return withDryRun({ status: 403, body: forbidden(attrs, req.user.name, decision.reason) });
    }
    const target = route(ctx.registry, req.url.pathname);
    if (target.type === 'unknown') return { status: 404, body: NOT_FOUND };
    if (target.type === 'discovery') {
      if (req.method !== 'GET') return { status: 405, body: NOT_ALLOWED };
      const doc = discoveryDoc(ctx.registry, target.segments, ctx.serverAddress);
      return doc === undefined ? { status: 404, body: NOT_FOUND } : { status: 200, body: doc };
    }
    return withDryRun(resourceVerb(ctx, req, target.target, attrs));
  } catch (err) {
    if (err instanceof KubeHttpError) return withDryRun({ status: err.body.code, body: err.body });
    if (err instanceof ApiserverPanic) return withDryRun({ status: 500, body: undefined, text: PANIC_TEXT });
    throw err;
  }
}
