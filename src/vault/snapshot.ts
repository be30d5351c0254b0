// GET of the Raft snapshot against the active node. Only a 200 body is ever returned to the caller; a 307
// (leadership moved) is followed to its Location when the token may go there, never streamed.
import type { Readable } from 'node:stream';
import { VaultError } from '../errors.ts';
import { redactUrl } from '../secrets.ts';
import { vaultError, type VaultClient } from './client.ts';
import { SNAPSHOT_PATH } from './capabilities.ts';
import { refuseTarget } from './confine.ts';

const MAX_REDIRECTS = 3;

export interface SnapshotDownload {
  body: Readable;
  node: string;
}

export async function openSnapshot(
  client: VaultClient,
  activeUrl: string,
  signal?: AbortSignal,
): Promise<SnapshotDownload> {
  let base = activeUrl;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await client.send(base, SNAPSHOT_PATH, {
      freshConnection: true,
      ...(signal ? { signal } : {}),
    });
    if (res.status === 200) return { body: res.body, node: base };
    if (res.status === 307 || res.status === 308) {
      await res.body.dump();
      const location = res.headers['location'];
      if (typeof location !== 'string' || location === '') break;
      const next = new URL(location, base).origin;
      const refused = refuseTarget(next, activeUrl, client.tls);
      if (refused !== undefined) {
        throw new VaultError(
          `Vault redirected the snapshot request to ${redactUrl(next)}; not following it: ${refused}`,
          res.status,
        );
      }
      base = next;
      continue;
    }
    throw await vaultError(res, 'GET', SNAPSHOT_PATH);
  }
  throw new VaultError(`Vault kept redirecting the snapshot request; no active node answered`);
}
