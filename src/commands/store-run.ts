// Stores one backup run: the key objects while the snapshot streams, the Raft object committed last (its
// presence means the run is complete), and on any failure every object of the run removed again.
import { mapLimited } from '../concurrent.ts';
import type { KeyValue } from '../keys/store.ts';
import type { Logger } from '../log.ts';
import { KEY_OBJECT_TAG, KEYS_OBJECT_TAG, RAFT_FILENAME, RAFT_OBJECT_TAG, runTag } from '../layout.ts';
import type { StoredObjectStats } from '../output/output.ts';
import { areFileNames, makeKeyDir, storeKeyFiles } from '../restic/key-files.ts';
import { forgetRun, storeObject, storeValue } from '../restic/objects.ts';
import type { ResticSession } from '../restic/session.ts';
import { startProgress } from '../stream/progress.ts';
import { ArchiveVerifier } from '../vault/archive-check.ts';
import type { VaultClient } from '../vault/client.ts';
import { openSnapshot } from '../vault/snapshot.ts';

// Without a tmpfs: a few key objects at a time, since each restic start costs a key derivation.
const KEY_CONCURRENCY = 3;
// A memory-only filesystem for the key files; STASH_VAULT_KEYS_TMPFS points elsewhere (or nowhere).
const TMPFS_ROOT = process.env['STASH_VAULT_KEYS_TMPFS'] ?? '/dev/shm';

export interface RunInput {
  restic: ResticSession;
  vault: VaultClient;
  active: string;
  keys: KeyValue[];
  host: string;
  runId: string;
  log: Logger;
  signal: AbortSignal;
}

export async function storeRun(i: RunInput): Promise<StoredObjectStats[]> {
  const { restic, log, signal, host } = i;
  const tag = runTag(i.runId);
  const keysAbort = new AbortController();
  const keysTask = storeKeys(i, tag, AbortSignal.any([signal, keysAbort.signal]));
  keysTask.catch(() => undefined);
  const verifier = new ArchiveVerifier();
  const progress = startProgress(log, 'raft snapshot');
  try {
    const { body, node } = await openSnapshot(i.vault, i.active, signal);
    log.info({ node }, 'streaming the Raft snapshot into restic');
    const raft = await storeObject(
      restic,
      { filename: RAFT_FILENAME, host, tags: [tag, RAFT_OBJECT_TAG] },
      body,
      {
        inspect: (chunk) => verifier.write(chunk),
        verify: () => {
          const facts = verifier.finish();
          log.info({ ...facts }, 'snapshot archive verified');
        },
        beforeCommit: async () => void (await keysTask),
        onBytes: (n) => progress.update(n),
        onFirstBytes: () => log.info('first snapshot bytes handed to restic'),
        signal,
      },
    );
    const keyStats = await keysTask;
    const done = progress.finish();
    log.info(
      { bytes: done.bytes, seconds: +done.seconds.toFixed(2), snapshot: raft.snapshotId },
      'backup committed',
    );
    return [...keyStats, raft];
  } catch (err) {
    progress.finish();
    keysAbort.abort(err);
    await keysTask.catch(() => undefined);
    // A restic that died without its own cleanup (killed, or 0.14 stopped early in its start-up) leaves
    // its lock; restic itself judges it stale (this host, process gone) and forget needs the repository free.
    await restic.clearDeadLocks();
    const removed = await forgetRun(restic, tag).catch((e: unknown) => {
      log.error(
        { err: e instanceof Error ? e.message : String(e) },
        'could not remove the objects of the failed run',
      );
      return [];
    });
    if (removed.length > 0) log.warn({ removed }, 'removed the objects this failed run had committed');
    throw err;
  }
}

async function storeKeys(i: RunInput, tag: string, signal: AbortSignal): Promise<StoredObjectStats[]> {
  const dir = areFileNames(i.keys.map((k) => k.name)) ? await makeKeyDir(TMPFS_ROOT) : undefined;
  if (dir !== undefined) {
    const stats = await storeKeyFiles(
      i.restic,
      dir,
      i.keys,
      { host: i.host, tags: [tag, KEYS_OBJECT_TAG] },
      signal,
    );
    i.log.info({ snapshot: stats.snapshotId, keys: i.keys.length }, 'stored the keys as one snapshot');
    return [stats];
  }
  i.log.warn({ tmpfs: TMPFS_ROOT }, 'no writable tmpfs for key files: storing one object per key');
  return mapLimited(i.keys, KEY_CONCURRENCY, (k) =>
    storeValue(i.restic, { filename: k.name, host: i.host, tags: [tag, KEY_OBJECT_TAG] }, k.value, signal),
  );
}
