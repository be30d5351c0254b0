// Token ACL: capabilities per path from the token's policy plus Vault's default policy, and the two 403
// bodies Vault returns (policy deny vs. invalid token; vault-snapshot-api.md §1 "Permission").
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterState } from './cluster-state.ts';
import { multiError, sendErrors, tokenFromRequest } from './http-util.ts';
import type { TokenEntry } from './identity.ts';

export const DENIED = multiError(['permission denied']);
export const INVALID_TOKEN = multiError(['permission denied', 'invalid token']);

const DEFAULT_POLICY: Record<string, string[]> = {
  'auth/token/lookup-self': ['read'],
  'auth/token/renew-self': ['update'],
  'auth/token/revoke-self': ['update'],
  'sys/capabilities-self': ['update'],
};

function matchRule(rules: Record<string, string[]>, path: string): string[] | undefined {
  if (rules[path] !== undefined) return rules[path];
  let best: string | undefined;
  for (const pattern of Object.keys(rules)) {
    if (
      pattern.endsWith('*') &&
      path.startsWith(pattern.slice(0, -1)) &&
      (best === undefined || pattern.length > best.length)
    ) {
      best = pattern;
    }
  }
  return best === undefined ? undefined : rules[best];
}

// Sorted capabilities of `token` on `path`: ["root"] for root, ["deny"] when nothing grants access.
export function capabilitiesOf(token: TokenEntry, path: string): string[] {
  if (token.acl === null) return ['root'];
  const caps = new Set([...(matchRule(token.acl, path) ?? []), ...(matchRule(DEFAULT_POLICY, path) ?? [])]);
  if (caps.size === 0 || caps.has('deny')) return ['deny'];
  return [...caps].sort();
}

// Returns the token entry when allowed; otherwise answers 403 and returns undefined.
export function authorize(
  state: ClusterState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  capability: string,
): TokenEntry | undefined {
  const token = state.lookupToken(tokenFromRequest(req) ?? '');
  if (token === undefined) {
    sendErrors(res, 403, [INVALID_TOKEN]);
    return undefined;
  }
  const caps = capabilitiesOf(token, path);
  if (caps.includes('root') || caps.includes(capability)) return token;
  sendErrors(res, 403, [DENIED]);
  return undefined;
}
