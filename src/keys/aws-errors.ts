// Turns an AWS SDK failure into a TaskError that says which store and key failed and why, in words
// an operator can act on, without any value (plaintext, ciphertext, credential) in the text.
import { TaskError } from '../errors.ts';

// Error codes meaning "these credentials are not accepted" (bad key id, bad secret, expired token).
const REJECTED = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'AuthFailure',
]);
// Authenticated, but IAM or the key policy refuses the action.
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);

const MAX_DETAIL = 400;

// Throttling and server-side faults of KMS and SSM, worth another attempt (the SDK's own retries are off).
const TRANSIENT = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'KMSInternalException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
// A refused connection is not retried: a wrong endpoint should fail at once.
const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

// Whether an AWS SDK failure is worth another attempt.
export function isRetryableAws(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (TRANSIENT.has(e.name) || e.$retryable !== undefined) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return true;
  return typeof e.code === 'string' && TRANSIENT_NETWORK.has(e.code);
}

// KMS's answer to a DryRun request that would have succeeded.
export const isDryRunSuccess = (err: unknown): boolean =>
  err instanceof Error && err.name === 'DryRunOperationException';

function rawDetail(err: unknown): { name: string; text: string } {
  if (!(err instanceof Error)) return { name: 'Error', text: String(err) };
  const code = (err as { code?: unknown }).code;
  const name = err.name !== 'Error' ? err.name : typeof code === 'string' ? code : 'Error';
  const text = err.message !== '' ? err.message : typeof code === 'string' ? code : '';
  return { name, text };
}

// "<Name>: <message>", with any known value cut out (AWS validation errors can echo input).
export function awsErrorDetail(err: unknown, values: readonly string[] = []): string {
  const { name, text } = rawDetail(err);
  let detail = text === '' || text === name ? name : `${name}: ${text}`;
  for (const v of values) if (v.length >= 4) detail = detail.split(v).join('[redacted]');
  return detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}…` : detail;
}

function verdict(err: unknown): string | undefined {
  const name = err instanceof Error ? err.name : '';
  if (REJECTED.has(name)) return 'credentials rejected';
  if (DENIED.has(name)) return 'access denied';
  if (name === 'CredentialsProviderError')
    return 'no credentials (no credential secret and no ambient AWS credentials)';
  if (name === 'InvalidCiphertextException') return 'cannot decrypt (another KMS key or encryption context)';
  return undefined;
}

// `<where>: cannot <action>: credentials rejected (UnrecognizedClientException: …)`. The SDK error is
// not kept as `cause`: its message and raw response are unscrubbed and loggers print causes.
export function awsFailure(
  where: string,
  action: string,
  err: unknown,
  values: readonly string[] = [],
): TaskError {
  const detail = awsErrorDetail(err, values);
  const why = verdict(err);
  return new TaskError(
    'keys',
    `${where}: cannot ${action}: ${why === undefined ? detail : `${why} (${detail})`}`,
  );
}
