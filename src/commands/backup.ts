// backup-vault: the Go addon's flow (stash-contract §5.2) with the snapshot streamed, verified and
// committed last, the keys stored as separate objects, and nothing left behind on failure.
import { randomUUID } from 'node:crypto';
import { allOrAbort, mapLimited } from '../concurrent.ts';
import type { BackupConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { executePreBackupActions, waitForBackendRepository } from '../kube/backup-session.ts';
import { isNotFound, kubeCall, type KubeClients } from '../kube/client.ts';
import { keyNames } from '../keys/names.ts';
import { readKeys, type KeyValue } from '../keys/store.ts';
import { DEFAULT_HOSTNAME, KEY_OBJECT_TAG, RAFT_FILENAME, RAFT_OBJECT_TAG, runTag } from '../layout.ts';
import { appBindingRef, snapshotStats, type StoredObjectStats } from '../output/output.ts';
import { existsArgs, initArgs, unlockStaleArgs } from '../restic/args.ts';
import { ensureNoStaleExclusiveLock, type HolderState } from '../restic/locks.ts';
import { forgetRun, storeObject, storeValue } from '../restic/objects.ts';
import type { ResticSession } from '../restic/session.ts';
import { startProgress } from '../stream/progress.ts';
import { findActiveNode } from '../vault/active-node.ts';
import { ArchiveVerifier } from '../vault/archive-check.ts';
import { requireCapability, SNAPSHOT_PATH } from '../vault/capabilities.ts';
import { waitForUnsealed } from '../vault/health.ts';
import { openSnapshot } from '../vault/snapshot.ts';
import { connectKube, keyStoreFor, openRestic, openVault } from './prepare.ts';
import type { CommandResult } from './result.ts';

const KEY_CONCURRENCY = 3;

export async function runBackup(
  config: BackupConfig,
  log: Logger,
  signal: AbortSignal,
): Promise<CommandResult> {
  const hostname = config.hostname !== '' ? config.hostname : DEFAULT_HOSTNAME;
  const kube = connectKube(config);
  const restic = await openRestic(kube, config, log);
  const cleanup: Array<() => Promise<void>> = [() => restic.close()];
  try {
    // The repository side and the Vault side only read until storeRun: prepare them side by side.
    const [, { vault, active, keys }] = await allOrAbort(
      signal,
      async (sig) => {
        await prepareRepository(kube, restic, config, log, sig);
        await ensureNoStaleExclusiveLock(restic, (pod) => podState(kube, config.namespace, pod), log, {
          signal: sig,
        });
      },
      async (sig) => {
        const { target, vault } = await openVault(kube, config, log);
        cleanup.push(() => vault.close());
        const store = await keyStoreFor(kube, target);
        cleanup.push(async () => store.close?.());
        await waitForUnsealed(vault, target.url, config.waitTimeoutMs, log, sig);
        const active = await findActiveNode(vault, target.url, target.namespace, log, sig);
        await requireCapability(vault, active, SNAPSHOT_PATH, 'read', sig);
        // Keys first: a missing key fails the run before anything is written.
        const keys = await readKeys(store, keyNames(config.keyPrefix, target.secretShares));
        log.info({ keys: keys.map((k) => k.name) }, 'read the root token and unseal keys');
        return { vault, active, keys };
      },
    );
    const stats = await storeRun(restic, vault, active, keys, hostname, log, signal);
    return {
      hostname,
      snapshots: stats.map(snapshotStats),
      ref: appBindingRef(config.appBindingName, config.appBindingNamespace),
    };
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  }
}

async function prepareRepository(
  kube: KubeClients,
  restic: ResticSession,
  config: BackupConfig,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const exists = (): Promise<boolean> =>
    restic.run(existsArgs(restic.common), signal).then(
      () => true,
      () => false,
    );
  const init = async (): Promise<void> => void (await restic.run(initArgs(restic.common), signal));
  if (config.backupSession === '') {
    log.warn('no --backupsession: skipping pre-backup actions; initializing the repository if it is missing');
    if (!(await exists())) await init();
    return;
  }
  const ref = appBindingRef(config.appBindingName, config.appBindingNamespace);
  await executePreBackupActions(
    kube,
    config.namespace,
    config.backupSession,
    ref,
    { repositoryExists: exists, initRepository: init },
    log,
  );
  await waitForBackendRepository(kube, config.namespace, config.backupSession, log, { signal });
}

// Stores the key objects while the snapshot streams, commits the Raft object last, and removes every
// object of the run if anything fails.
async function storeRun(
  restic: ResticSession,
  vault: Parameters<typeof openSnapshot>[0],
  active: string,
  keys: KeyValue[],
  host: string,
  log: Logger,
  signal: AbortSignal,
): Promise<StoredObjectStats[]> {
  const tag = runTag(randomUUID());
  const keysAbort = new AbortController();
  const keySignal = AbortSignal.any([signal, keysAbort.signal]);
  // A few at a time: each restic start costs a key derivation, and the Raft stream runs alongside.
  const keysTask = mapLimited(keys, KEY_CONCURRENCY, (k) =>
    storeValue(restic, { filename: k.name, host, tags: [tag, KEY_OBJECT_TAG] }, k.value, keySignal),
  );
  keysTask.catch(() => undefined);
  const verifier = new ArchiveVerifier();
  const progress = startProgress(log, 'raft snapshot');
  try {
    const { body, node } = await openSnapshot(vault, active, signal);
    log.info({ node }, 'streaming the Raft snapshot into restic');
    const raft = await storeObject(
      restic,
      { filename: RAFT_FILENAME, host, tags: [tag, RAFT_OBJECT_TAG] },
      body,
      {
        inspect: (chunk) => verifier.write(chunk),
        verify: async () => {
          const facts = await verifier.finish();
          log.info({ ...facts }, 'snapshot archive verified');
        },
        beforeCommit: async () => void (await keysTask),
        onBytes: (n) => progress.update(n),
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
    await restic.run(unlockStaleArgs(restic.common)).catch(() => undefined);
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

async function podState(kube: KubeClients, namespace: string, name: string): Promise<HolderState> {
  try {
    const pod = await kubeCall(`get pod ${namespace}/${name}`, () =>
      kube.core.readNamespacedPod({ name, namespace }),
    );
    const phase = pod.status?.phase ?? '';
    return phase === 'Succeeded' || phase === 'Failed' ? 'finished' : 'running';
  } catch (err) {
    if (isNotFound(err)) return 'gone';
    throw err;
  }
}
