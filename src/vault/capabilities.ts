// Preflight: ask Vault what the token may do on the snapshot paths before anything is written, and name
// the missing capability (vault-snapshot-api §4 capabilities-self).
import { VaultError } from '../errors.ts';
import type { VaultClient } from './client.ts';

export const SNAPSHOT_PATH = 'sys/storage/raft/snapshot';
export const SNAPSHOT_FORCE_PATH = 'sys/storage/raft/snapshot-force';

export async function requireCapability(
  client: VaultClient,
  baseUrl: string,
  path: string,
  capability: 'read' | 'update',
  signal?: AbortSignal,
): Promise<void> {
  const res = await client.json(baseUrl, 'sys/capabilities-self', {
    method: 'POST',
    json: { paths: [path] },
    ...(signal ? { signal } : {}),
  });
  const data = (res['data'] ?? {}) as Record<string, unknown>;
  const raw = data[path] ?? res[path] ?? res['capabilities'];
  const caps = Array.isArray(raw) ? raw.map(String) : [];
  if (caps.includes('root') || caps.includes(capability)) return;
  throw new VaultError(
    `the Vault token lacks the "${capability}" capability on ${path} (it has: ${caps.length > 0 ? caps.join(', ') : 'none'}); grant it in the backup token's policy`,
    403,
  );
}
