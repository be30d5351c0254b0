// When a Kubernetes request is worth another try, and how long to wait first. The API server sheds
// load with 429 (+ Retry-After) and answers 5xx during upgrades and leader changes; a connection reset
// or a timeout is the same story one layer down. Anything else is the caller's answer.
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const RETRY_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export const MAX_ATTEMPTS = 5;
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 8_000;

export function isRetryableStatus(status: number): boolean {
  return RETRY_STATUSES.has(status);
}

// Network-level failures worth a retry (by undici/Node error code, or our own per-request timeout).
export function isRetryableError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; cause?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.name === 'TimeoutError') return true;
  if (typeof e.code === 'string' && RETRY_CODES.has(e.code)) return true;
  return e.cause !== undefined && e.cause !== err && isRetryableError(e.cause);
}

// Exponential backoff with jitter; a server's Retry-After (seconds) wins when it asks for longer.
export function retryDelayMs(attempt: number, retryAfter: string | undefined, random = Math.random): number {
  const backoff = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt) * (0.5 + random() / 2);
  const asked = retryAfter !== undefined && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : 0;
  return Math.min(MAX_DELAY_MS * 2, Math.max(backoff, asked));
}
