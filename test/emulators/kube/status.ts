// metav1.Status failure bodies with the messages, reasons and details k8s.io/apimachinery's
// errors package produces, so callers' error handling is exercised against the real shapes.
import { qualifiedKind, qualifiedResource, type ResourceDef } from './resources.ts';

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

// 403 in the exact wording of the apiserver's RBAC denial.
export function forbidden(
  def: ResourceDef,
  name: string,
  user: string,
  verb: string,
  subresource: string,
  namespace: string,
): StatusBody {
  const resource = subresource === '' ? def.plural : `${def.plural}/${subresource}`;
  const scope = namespace !== '' ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const why = `User "${user}" cannot ${verb} resource "${resource}" in API group "${def.group}" ${scope}`;
  const subject = name !== '' ? `${qualifiedResource(def)} "${name}"` : qualifiedResource(def);
  return failure(403, `${subject} is forbidden: ${why}`, 'Forbidden', resourceDetails(def, name));
}

// 422: `Kind.group "x" is invalid: field: msg` (several causes are bracketed and comma-joined).
export function invalid(def: ResourceDef, name: string, causes: StatusCause[]): StatusBody {
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const joined = texts.length === 1 ? (texts[0] ?? '') : `[${texts.join(', ')}]`;
  return failure(422, `${qualifiedKind(def)} "${name}" is invalid: ${joined}`, 'Invalid', {
    ...(name !== '' ? { name } : {}),
    ...(def.group !== '' ? { group: def.group } : {}),
    kind: def.kind,
    causes,
  });
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
