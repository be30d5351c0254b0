// metav1.Status failure bodies with the messages, reasons and details k8s.io/apimachinery's
// errors package produces, so callers' error handling is exercised against the real shapes.
import { goQuote } from './go-text.ts';
import type { RequestAttributes } from './request-info.ts';
import { qualifiedResource, type ResourceDef } from './resources.ts';

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  code: number;
}

// Thrown inside request handling; the server turns it into the HTTP response.
export class KubeHttpError extends Error {
  readonly body: StatusBody;
  constructor(body: StatusBody) {
    super(body.message ?? body.reason ?? `HTTP ${body.code}`);
    this.name = 'KubeHttpError';
    this.body = body;
  }
}

const DEFAULT_REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

// A bare failure Status; reason defaults by code as apimachinery's NewGenericServerResponse does.
export function failure(
  code: number,
  message: string,
  reason?: string,
  details?: StatusBody['details'],
): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reason ?? DEFAULT_REASONS[code] ?? 'Unknown',
    ...(details !== undefined ? { details } : {}),
    code,
  };
}

function resourceDetails(def: ResourceDef, name: string): NonNullable<StatusBody['details']> {
  return {
    ...(name !== '' ? { name } : {}),
    ...(def.group !== '' ? { group: def.group } : {}),
    kind: def.plural,
  };
}

// 404: `secrets "x" not found`.
export function notFound(def: ResourceDef, name: string): StatusBody {
  return failure(
    404,
    `${qualifiedResource(def)} "${name}" not found`,
    'NotFound',
    resourceDetails(def, name),
  );
}

// 409 on create: `secrets "x" already exists`.
export function alreadyExists(def: ResourceDef, name: string): StatusBody {
  return failure(
    409,
    `${qualifiedResource(def)} "${name}" already exists`,
    'AlreadyExists',
    resourceDetails(def, name),
  );
}

// 409 on a stale resourceVersion (optimistic concurrency).
export function conflict(
  def: ResourceDef,
  name: string,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): StatusBody {
  return failure(
    409,
    `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": ${why}`,
    'Conflict',
    resourceDetails(def, name),
  );
}

// The authorization half of a 403 (responsewriters.forbiddenMessage).
export function forbiddenMessage(attrs: RequestAttributes, user: string): string {
  if (!attrs.isResourceRequest)
    return `User ${goQuote(user)} cannot ${attrs.verb} path ${goQuote(attrs.path)}`;
  const resource = attrs.subresource === '' ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
  const scope =
    attrs.namespace !== '' ? `in the namespace ${goQuote(attrs.namespace)}` : 'at the cluster scope';
  return `User ${goQuote(user)} cannot ${attrs.verb} resource ${goQuote(resource)} in API group ${goQuote(attrs.apiGroup)} ${scope}`;
}

// apierrors.NewForbidden: `<resource.group> "<name>" is forbidden: <why>`, details name the main resource.
export function forbiddenStatus(group: string, resource: string, name: string, why: string): StatusBody {
  const qualified = group === '' ? resource : `${resource}.${group}`;
  let message: string;
  if (qualified === '') message = `forbidden: ${why}`;
  else if (name === '') message = `${qualified} is forbidden: ${why}`;
  else message = `${qualified} ${goQuote(name)} is forbidden: ${why}`;
  const details: NonNullable<StatusBody['details']> = {
    ...(name !== '' ? { name } : {}),
    ...(group !== '' ? { group } : {}),
    ...(resource !== '' ? { kind: resource } : {}),
  };
  return failure(403, message, 'Forbidden', details);
}

// The 403 the authorization filter answers; a non-empty authorizer reason is appended after ": ".
export function forbidden(attrs: RequestAttributes, user: string, reason = ''): StatusBody {
  // The filter escapes &, < and > so the message never looks like HTML.
  const msg = forbiddenMessage(attrs, user).replace(
    /[&<>]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c,
  );
  const why = reason === '' ? msg : `${msg}: ${reason}`;
  return forbiddenStatus(attrs.apiGroup, attrs.resource, attrs.name, why);
}

// Go's aggregate of field errors: duplicates dropped, one alone, several bracketed and comma-joined.
function aggregateCauses(causes: StatusCause[]): string {
  const texts = [...new Set(causes.map((c) => (c.field === '' ? c.message : `${c.field}: ${c.message}`)))];
  return texts.length === 1 ? (texts[0] ?? '') : `[${texts.join(', ')}]`;
}

// 422 for any group/kind: `Kind.group "name" is invalid: causes` (apierrors.NewInvalid).
export function invalidKind(
  gk: { group: string; kind: string },
  name: string,
  causes: StatusCause[],
): StatusBody {
  const qualified = gk.group === '' ? gk.kind : `${gk.kind}.${gk.group}`;
  const head = `${qualified} ${goQuote(name)} is invalid`;
  const message = causes.length === 0 ? head : `${head}: ${aggregateCauses(causes)}`;
  return failure(422, message, 'Invalid', {
    ...(name !== '' ? { name } : {}),
    ...(gk.group !== '' ? { group: gk.group } : {}),
    ...(gk.kind !== '' ? { kind: gk.kind } : {}),
    causes,
  });
}

// 422: `Kind.group "x" is invalid: field: msg` (several causes are bracketed and comma-joined).
export function invalid(def: ResourceDef, name: string, causes: StatusCause[]): StatusBody {
  return invalidKind({ group: def.group, kind: def.kind }, name, causes);
}

// 413 for a body over the apiserver's limit or a JSON patch with too many operations.
export function tooLarge(message: string): StatusBody {
  return failure(413, `Request entity too large: ${message}`, 'RequestEntityTooLarge');
}

// 400 BadRequest with the decoder's or handler's message.
export function badRequest(message: string): StatusBody {
  return failure(400, message, 'BadRequest');
}

// 401, which the apiserver sends before looking at the path.
export function unauthorized(): StatusBody {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

// Success Status, the body of most DELETE answers (the apiserver leaves `code` out of it).
export function success(def: ResourceDef, name: string, uid: string): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...resourceDetails(def, name), uid },
  };
}
