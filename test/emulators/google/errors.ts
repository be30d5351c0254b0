// Google's two error dialects: Cloud KMS answers {"error":{code,message,status}} (google.rpc.Status
// over HTTP); the GCS JSON API answers {"error":{code,message,errors:[{message,domain,reason}]}}.
import type { ServerResponse } from 'node:http';

export type GoogleStatus =
  'INVALID_ARGUMENT' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'NOT_FOUND' | 'UNIMPLEMENTED';

const HTTP: Record<GoogleStatus, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  UNIMPLEMENTED: 501,
};

// Thrown by the emulator's services; the router renders it in the dialect of the API that failed.
export class ApiFailure extends Error {
  readonly status: GoogleStatus;
  // GCS `errors[].reason`, e.g. notFound, forbidden, authError.
  readonly reason: string;
  constructor(status: GoogleStatus, message: string, reason = 'invalid') {
    super(message);
    this.status = status;
    this.reason = reason;
  }
  get httpStatus(): number {
    return HTTP[this.status];
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

export function sendKmsError(res: ServerResponse, f: ApiFailure): void {
  const extra: Record<string, string> =
    f.status === 'UNAUTHENTICATED'
      ? { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' }
      : {};
  sendJson(res, f.httpStatus, { error: { code: f.httpStatus, message: f.message, status: f.status } }, extra);
}

export function sendGcsError(res: ServerResponse, f: ApiFailure): void {
  const detail: Record<string, string> = { message: f.message, domain: 'global', reason: f.reason };
  if (f.status === 'UNAUTHENTICATED')
    Object.assign(detail, { locationType: 'header', location: 'Authorization' });
  sendJson(res, f.httpStatus, { error: { code: f.httpStatus, message: f.message, errors: [detail] } });
}
