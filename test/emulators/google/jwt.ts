// Bearer tokens the emulator accepts: a service account's self-signed JWT (RS256, iss = sub = the
// account's email, `scope` or `aud` naming the API, at most an hour long), which is what both Google
// SDKs send for a service-account key. The signature is checked against the account's public key,
// so a token signed with any other private key is refused, as Google does.
import { verify, type KeyObject } from 'node:crypto';

export interface TrustedAccount {
  email: string;
  keyId: string;
  publicKey: KeyObject;
}

export type ApiName = 'cloudkms' | 'storage';

const SCOPES: Record<ApiName, readonly string[]> = {
  cloudkms: ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/cloudkms'],
  storage: [
    'https://www.googleapis.com/auth/cloud-platform',
    'https://www.googleapis.com/auth/devstorage.full_control',
    'https://www.googleapis.com/auth/devstorage.read_write',
  ],
};
const MAX_LIFETIME_S = 3600;
const SKEW_S = 300;

export type JwtVerdict = { email: string } | { refused: string };

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

// `refused` says why, for the request log only: Google's answer never explains.
export function verifyJwt(
  token: string,
  api: ApiName,
  accounts: ReadonlyMap<string, TrustedAccount>,
  nowMs = Date.now(),
): JwtVerdict {
  const parts = token.split('.');
  if (parts.length !== 3) return { refused: 'not a JWT' };
  const [h = '', p = '', s = ''] = parts;
  const header = decodePart(h);
  const claims = decodePart(p);
  if (header === undefined || claims === undefined) return { refused: 'undecodable JWT' };
  if (header['alg'] !== 'RS256') return { refused: `alg ${String(header['alg'])}` };
  const email = claims['iss'];
  if (typeof email !== 'string' || claims['sub'] !== email) return { refused: 'iss/sub mismatch' };
  const account = accounts.get(email);
  if (account === undefined) return { refused: `unknown account ${email}` };
  if (header['kid'] !== undefined && header['kid'] !== account.keyId) return { refused: 'unknown key id' };
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), account.publicKey, Buffer.from(s, 'base64url'))) {
    return { refused: 'bad signature' };
  }
  const now = Math.floor(nowMs / 1000);
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number') return { refused: 'no iat/exp' };
  if (exp <= now - SKEW_S || iat > now + SKEW_S || exp - iat > MAX_LIFETIME_S) return { refused: 'expired' };
  const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
  const audienceOk = claims['aud'] === `https://${api}.googleapis.com/`;
  if (!audienceOk && !scopes.some((x) => SCOPES[api].includes(x))) return { refused: 'wrong scope/audience' };
  return { email };
}
