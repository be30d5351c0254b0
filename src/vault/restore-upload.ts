// POST the archive to sys/storage/raft/snapshot (or snapshot-force) on the active node, streaming: no
// buffer that grows with the snapshot, and the client timeout is the idle timeout, not a total.
import type { Readable } from 'node:stream';
import { TaskError, VaultError } from '../errors.ts';
import { vaultError, type VaultClient } from './client.ts';
import { SNAPSHOT_FORCE_PATH, SNAPSHOT_PATH } from './capabilities.ts';

export async function uploadSnapshot(
  client: VaultClient,
  activeUrl: string,
  body: Readable,
  force: boolean,
  signal?: AbortSignal,
): Promise<void> {
  const path = force ? SNAPSHOT_FORCE_PATH : SNAPSHOT_PATH;
  const res = await client.send(activeUrl, path, {
    method: 'POST',
    body,
    freshConnection: true,
    ...(signal ? { signal } : {}),
  });
  if (res.status === 204 || res.status === 200) {
    await res.body.dump();
    return;
  }
  if (res.status === 307 || res.status === 308) {
    await res.body.dump();
    throw new VaultError(
      'Vault leadership moved during the restore (307 from the node that was active); nothing was restored, run it again',
      res.status,
    );
  }
  const err = await vaultError(res, 'POST', path);
  if (
    res.status === 400 &&
    err.errors.some((e) => /different set of unseal keys|different autoseal key/.test(e))
  ) {
    throw new TaskError(
      'vault',
      'Vault refused the snapshot: it was taken from a different cluster (different unseal keys or seal). ' +
        'To restore it anyway set the task param force=true (snapshot-force): the cluster will then be sealed and need the ' +
        "OLD cluster's unseal keys and root token, which this addon moves from --old-key-prefix to --key-prefix in the unsealer store.",
      { cause: err },
    );
  }
  throw err;
}
