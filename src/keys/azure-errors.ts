// One short clause saying why an Azure call failed, from what @azure/identity (MSAL) and
// @azure/keyvault-secrets throw: Entra ID's AADSTS code, Key Vault's error code, or the network cause.
// Only codes and Azure's first sentence are kept: trace ids, timestamps and URLs of docs are noise.

const IDENTITY_ERRORS = new Set([
  'AuthenticationError',
  'AuthenticationRequiredError',
  'CredentialUnavailableError',
  'AggregateAuthenticationError',
]);

function short(text: string, max = 300): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

function firstSentence(text: string): string {
  const m = /^(.*?\.)(\s|$)/.exec(text.replace(/\s+/g, ' ').trim());
  return short(m?.[1] ?? text);
}

function field(err: object, name: string): unknown {
  return (err as Record<string, unknown>)[name];
}

function identityFailure(err: Error, authorityHost: string): string {
  const aadsts = /\b(AADSTS\d+: .*)$/s.exec(err.message);
  if (aadsts?.[1] !== undefined) {
    // MSAL: "invalid_client: Error(s): 7000215 - …"; identity's own client: "invalid_client Status code: 401 …".
    const oauth = /^([a-z_]+)[: ]/.exec(err.message)?.[1];
    return `credentials rejected by Entra ID (${oauth === undefined ? '' : `${oauth}, `}${firstSentence(aadsts[1])})`;
  }
  if (err.message.includes('endpoints_resolution_error')) {
    return `cannot reach the Entra ID authority ${authorityHost} (network, TLS or unknown tenant)`;
  }
  const tenant = /not configured to acquire tokens for tenant (\S+?)\.?\s/.exec(err.message)?.[1];
  if (tenant !== undefined) {
    return `credentials rejected: the vault belongs to tenant ${tenant}, not to the configured tenantID`;
  }
  return `${err.name === 'CredentialUnavailableError' ? 'no usable Azure credential' : 'authentication failed'} (${short(err.message)})`;
}

function restFailure(err: Error): string {
  const status = field(err, 'statusCode');
  const code = field(err, 'code');
  const what = `${typeof code === 'string' ? `${code}: ` : ''}${firstSentence(err.message)}`;
  if (typeof status !== 'number') return `cannot reach Key Vault (${what})`;
  if (status === 401) return `credentials rejected by Key Vault (401 ${what})`;
  if (status === 403) return `access denied by Key Vault (403 ${what})`;
  return `Key Vault answered ${status} (${what})`;
}

// `redact` lists values that must not appear even if an SDK ever echoed them.
export function azureFailure(err: unknown, authorityHost: string, redact: readonly string[] = []): string {
  let text: string;
  if (!(err instanceof Error)) text = short(String(err));
  else if (IDENTITY_ERRORS.has(err.name)) text = identityFailure(err, authorityHost);
  else if (err.name === 'RestError') text = restFailure(err);
  else if (err.name === 'AbortError') text = 'no answer in time (request timed out or was aborted)';
  else text = short(err.message);
  for (const value of redact) if (value.length >= 4) text = text.split(value).join('[redacted]');
  return text;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
// A refused connection is not retried: a wrong vault URL should fail at once.
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

// Whether a Key Vault (or Entra ID) failure is worth another attempt; the SDK's own retries are off.
export function isRetryableAzure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = field(err, 'statusCode');
  if (typeof status === 'number') return RETRYABLE_STATUS.has(status);
  const code = field(err, 'code');
  return err.name === 'RestError' && typeof code === 'string' && RETRYABLE_NETWORK.has(code);
}
