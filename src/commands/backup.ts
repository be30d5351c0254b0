// backup-vault: the Go addon's flow (stash-contract §5.2) with the snapshot streamed, verified and
// committed last, the keys stored beside it, and nothing left behind on failure. restic starts: one probe
// (repository and locks), one for all key files (or one per key without a tmpfs), one for the Raft object.
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { allOrAbort } from '../concurrent.ts';
import type { BackupConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { executePreBackupActions, waitForBackendRepository } from '../kube/backup-session.ts';
import { isNotFound, seg, type KubeApi } from '../kube/client.ts';
import { keyNames } from '../keys/names.ts';
import { readKeys } from '../keys/store.ts';
import { DEFAULT_HOSTNAME } from '../layout.ts';
import { appBindingRef, snapshotStats } from '../output/output.ts';
import { initArgs } from '../restic/args.ts';
import { ensureNoBlockingLock, type HolderState } from '../restic/locks.ts';
import { probeRepository } from '../restic/probe.ts';
import type { ResticSession } from '../restic/session.ts';
import { findActiveNode } from '../vault/active-node.ts';
import { requireCapability, SNAPSHOT_PATH } from '../vault/capabilities.ts';
import { waitForUnsealed } from '../vault/health.ts';
import { connectKube, keyStoreFor, openRestic, openVault } from './prepare.ts';
import type { CommandResult } from './result.ts';
import { storeRun } from './store-run.ts';

export async function runBackup(
  config: BackupConfig,
  log: Logger,
  signal: AbortSignal,
): Promise<CommandResult> {
  const hostname = config.hostname !== '' ? config.hostname : DEFAULT_HOSTNAME;
  const kube = await connectKube(config, signal, log);
  const cleanup: Array<() => Promise<void>> = [() => kube.close()];
  try {
    const restic = await openRestic(kube, config, log);
    cleanup.push(() => restic.close());
    // The repository side and the Vault side only read until storeRun: prepare them side by side.
    const [, { vault, active, keys }] = await allOrAbort(
      signal,
      (sig) => prepareRepository(kube, restic, config, log, sig),
      async (sig) => {
        const { target, vault } = await openVault(kube, config, log, sig);
        cleanup.push(() => vault.close());
        const store = await keyStoreFor(kube, target);
        cleanup.push(async () => store.close?.());
        await waitForUnsealed(vault, target.url, config.waitTimeoutMs, log, sig);
        const active = await findActiveNode(vault, target.url, target.namespace, log, sig);
        await requireCapability(vault, active, SNAPSHOT_PATH, 'read', sig);
        // Keys first: a missing key fails the run before anything is written.
        const keys = await readKeys(store, keyNames(config.keyPrefix, target.secretShares), sig);
        log.info({ keys: keys.map((k) => k.name) }, 'read the root token and unseal keys');
        return { vault, active, keys };
      },
    );
    const stats = await storeRun({
      restic,
      vault,
      active,
      keys,
      host: hostname,
      runId: randomUUID(),
      log,
      signal,
    });
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
  kube: KubeApi,
  restic: ResticSession,
  config: BackupConfig,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const probe = await probeRepository(restic, signal);
  let exists = probe.exists;
  const init = async (): Promise<void> => {
    log.info('initializing the restic repository');
    await restic.run(initArgs(restic.common), signal);
    exists = true;
  };
  if (config.backupSession === '') {
    log.warn('no --backupsession: skipping pre-backup actions; initializing the repository if it is missing');
    if (!exists) await init();
  } else {
    const ref = appBindingRef(config.appBindingName, config.appBindingNamespace);
    await executePreBackupActions(
      kube,
      config.namespace,
      config.backupSession,
      ref,
      { repositoryExists: () => Promise.resolve(exists), initRepository: init },
      log,
      signal,
    );
    await waitForBackendRepository(kube, config.namespace, config.backupSession, log, { signal });
  }
  // A repository made just now has no locks; otherwise the probe already listed them.
  await ensureNoBlockingLock(restic, (host) => podState(kube, config.namespace, host), log, {
    lockIds: probe.exists ? probe.lockIds : [],
    ourHostname: osHostname(),
    timeoutMs: config.lockTimeoutMs,
    signal,
  });
}

// The lock's hostname is the pod name of a Stash job; any other host is "gone" to Kubernetes.
async function podState(kube: KubeApi, namespace: string, name: string): Promise<HolderState> {
  if (name === '') return 'gone';
  try {
    const pod = await kube.call<{ status?: { phase?: string } }>(`get pod ${namespace}/${name}`, {
      path: `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`,
    });
    const phase = pod.status?.phase ?? '';
    return phase === 'Succeeded' || phase === 'Failed' ? 'finished' : 'running';
  } catch (err) {
    if (isNotFound(err)) return 'gone';
    throw err;
  }
}
