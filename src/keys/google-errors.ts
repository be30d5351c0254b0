// Google SDK failures, read the same way whichever client raised them: KMS over REST throws a
// GaxiosError whose message is Google's JSON error body, GCS an ApiError with the HTTP code, and
// both throw fetch errors for the network. Here they become one verdict for the operator, a retry
// decision for boundedCall (cloud-call.ts), and a TaskError that names the store and key but never a value.
import { TaskError } from '../errors.ts';

const MAX_DETAIL = 300;

const GRPC_STATUS: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};
const HTTP_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
const RETRYABLE_STATUS = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'INTERNAL']);
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'request-timeout']);

export interface GoogleFailure {
  // google.rpc status name, e.g. UNAUTHENTICATED; undefined for network errors.
  status: string | undefined;
  http: number | undefined;
  // Node/fetch error code for network failures, e.g. ECONNREFUSED.
  network: string | undefined;
  message: string;
}

// Google's JSON error body, when a message is one ({"error":{"code","message","status"}}).
function jsonError(text: string): { code?: unknown; message?: unknown; status?: unknown } | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const v = (JSON.parse(text) as { error?: unknown }).error;
    return typeof v === 'object' && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

export function googleFailure(err: unknown): GoogleFailure {
  if (!(err instanceof Error))
    return { status: undefined, http: undefined, network: undefined, message: String(err) };
  const e = err as Error & { code?: unknown; status?: unknown; type?: unknown };
  const body = jsonError(e.message);
  let http = typeof e.status === 'number' ? e.status : undefined;
  if (http === undefined && typeof e.code === 'number' && e.code >= 100) http = e.code;
  if (typeof body?.code === 'number') http = body.code;
  let status = typeof body?.status === 'string' ? body.status : undefined;
  if (status === undefined && typeof e.code === 'number' && e.code < 100) status = GRPC_STATUS[e.code];
  if (status === undefined && http !== undefined) status = HTTP_STATUS[http];
  const network =
    typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)
      ? e.code
      : e.type === 'request-timeout'
        ? 'request-timeout'
        : undefined;
  const message = typeof body?.message === 'string' ? body.message : e.message;
  return { status, http, network, message };
}

export const isNotFound = (err: unknown): boolean => googleFailure(err).status === 'NOT_FOUND';
// GCS answers 404 both for a missing object and a missing bucket; only the message tells them apart.
export const isMissingBucket = (err: unknown): boolean =>
  isNotFound(err) && /bucket does not exist/i.test(googleFailure(err).message);

// Whether a Google SDK failure is worth another attempt: a rejected credential, a denied permission or a
// missing bucket/key fails on the first answer.
export function isRetryableGoogle(err: unknown): boolean {
  const f = googleFailure(err);
  return (
    (f.status !== undefined && RETRYABLE_STATUS.has(f.status)) ||
    (f.network !== undefined && RETRYABLE_NETWORK.has(f.network))
  );
}

export type GoogleService = 'kms' | 'gcs';

const NO_CREDENTIALS = 'no credentials (no credential secret and no Application Default Credentials)';

function verdict(service: GoogleService, f: GoogleFailure): string | undefined {
  if (/could not load the default credentials/i.test(f.message)) return NO_CREDENTIALS;
  // The Storage SDK sends the request anonymously when Application Default Credentials find nothing.
  if (/^anonymous caller/i.test(f.message)) return NO_CREDENTIALS;
  if (f.status === 'UNAUTHENTICATED') return 'credentials rejected';
  if (f.status === 'PERMISSION_DENIED') return 'permission denied';
  if (service === 'kms' && f.status === 'NOT_FOUND') return 'KMS key not found';
  if (service === 'kms' && /decryption failed/i.test(f.message)) {
    return 'cannot decrypt (the object was not encrypted with this KMS key)';
  }
  if (service === 'gcs' && f.status === 'NOT_FOUND' && /bucket does not exist/i.test(f.message)) {
    return 'bucket does not exist';
  }
  if (f.network === 'request-timeout') return 'no answer in time';
  if (f.network !== undefined && /CERT|VERIFY|SELF_SIGNED/.test(f.network))
    return "the endpoint's TLS certificate is not trusted";
  if (f.network !== undefined) return 'cannot reach the endpoint';
  return undefined;
}

function detail(f: GoogleFailure, values: readonly string[]): string {
  const head =
    f.status !== undefined
      ? `${f.status}${f.http === undefined ? '' : ` (HTTP ${f.http})`}`
      : (f.network ?? 'error');
  let text = f.message === '' ? head : `${head}: ${f.message}`;
  for (const v of values) if (v.length >= 4) text = text.split(v).join('[redacted]');
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

// `<where>: cannot <action>: credentials rejected (UNAUTHENTICATED (HTTP 401): …)`. The SDK error
// is not kept as `cause`: its message and config (request body, headers) are unscrubbed.
export function googleError(
  where: string,
  action: string,
  service: GoogleService,
  err: unknown,
  values: readonly string[] = [],
): TaskError {
  const f = googleFailure(err);
  const why = verdict(service, f);
  const d = detail(f, values);
  return new TaskError('keys', `${where}: cannot ${action}: ${why === undefined ? d : `${why} (${d})`}`);
}
