// Where the Vault token may follow a redirect or a leader address. Over verified TLS the certificate
// must verify with the AppBinding's caBundle (and serverName) before the token is sent, so any https
// host will do; never a downgrade to http, never URL credentials, and without verification (plaintext
// or insecureSkipTLSVerify) only the AppBinding's own host.
import type { VaultTls } from './client.ts';

// Why the token must not go to `candidate`, or undefined when it may.
export function refuseTarget(candidate: string, origin: string, tls: VaultTls): string | undefined {
  let c: URL;
  let o: URL;
  try {
    c = new URL(candidate);
    o = new URL(origin);
  } catch {
    return 'not a URL';
  }
  if (c.protocol !== 'https:' && c.protocol !== 'http:') return `scheme ${c.protocol} is not http(s)`;
  if (c.protocol !== o.protocol) return `scheme ${c.protocol} differs from the AppBinding's ${o.protocol}`;
  if (c.username !== '' || c.password !== '') return 'it carries credentials';
  const verified = o.protocol === 'https:' && !tls.insecureSkipVerify;
  if (!verified && c.hostname !== o.hostname) {
    return `TLS is not verified (${o.protocol === 'http:' ? 'plaintext' : 'insecureSkipTLSVerify'}), so only the AppBinding's own host ${o.hostname} is trusted`;
  }
  return undefined;
}

// A host for a URL authority: IPv6 addresses in brackets, exactly once.
export function urlHost(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return bare.includes(':') ? `[${bare}]` : bare;
}
