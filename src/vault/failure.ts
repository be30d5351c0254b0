// Which failures to reach Vault can end by waiting (a node starting, sealed, a 5xx) and which never will
// (a certificate that does not verify, a wrong host name, a token that is refused): the latter fail the
// run at once, naming the cause, instead of after the whole --wait-timeout.
import { VaultError } from '../errors.ts';

const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);
// TLS spoken to a plaintext port, or the other way round.
const PROTOCOL_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'EPROTO']);

function codes(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
  }
  return out;
}

// A human cause for a permanent failure, or undefined when waiting may help.
export function permanentCause(err: unknown): string | undefined {
  const all = codes(err);
  const tls = all.find((c) => TLS_VERIFY_CODES.has(c));
  if (tls !== undefined) {
    const what =
      tls === 'ERR_TLS_CERT_ALTNAME_INVALID' || tls === 'HOSTNAME_MISMATCH'
        ? "the certificate does not cover this host name (check the AppBinding's url or serverName)"
        : "the certificate does not verify with the AppBinding's caBundle";
    return `TLS: ${what} (${tls})`;
  }
  const proto = all.find((c) => PROTOCOL_CODES.has(c));
  if (proto !== undefined) return `TLS handshake failed: is the scheme right for this port? (${proto})`;
  if (err instanceof VaultError && err.status !== undefined) {
    if (err.status === 401 || err.status === 403) return `Vault refused the token (${err.status})`;
    if (err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429)
      return `Vault answered ${err.status}: ${err.message}`;
  }
  return undefined;
}

// A short reason for a failed attempt, for logs and the last-state line.
export function describeAttempt(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time';
  const code = codes(err)[0];
  const msg = err instanceof Error ? err.message : String(err);
  return code !== undefined && !msg.includes(code) ? `${code}: ${msg}` : msg;
}
