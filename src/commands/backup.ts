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
import { readKeys, type KeyValue } from '../keys/store.ts';
import type { VaultTarget } from '../kube/appbinding.ts';
import type { VaultClient } from '../vault/client.ts';
import { DEFAULT_HOSTNAME } from '../layout.ts';
import { appBindingRef, snapshotStats } from '../output/output.ts';
import { initArgs } from '../restic/args.ts';
import { ensureNoBlockingLock, type HolderState } from '../restic/locks.ts';
import { probeRepository, type RepositoryProbe } from '../restic/probe.ts';
import type { ResticSession } from '../restic/session.ts';
import { findActiveNode } from '../vault/active-node.ts';
import { requireCapability, SNAPSHOT_PATH } from '../vault/capabilities.ts';
import { waitForUnsealed } from '../vault/health.ts';
import { connectKube, keyStoreFor, openRestic, openVault, type VaultOptions } from './prepare.ts';
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
      (sig) => prepareVaultSide(kube, config, cleanup, log, sig),
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

export interface VaultSideOptions extends VaultOptions {
  waitTimeoutMs: number;
  // The KubeStash front end may take it from the AppBinding when its flag is empty.
  keyPrefix: string | ((target: VaultTarget) => string);
}

// The Vault side of a backup, read-only: the AppBinding, the token, Vault unsealed, the active node, the
// snapshot capability and the keys (a missing key fails the run before anything is written).
export async function prepareVaultSide(
  kube: KubeApi,
  o: VaultSideOptions,
  cleanup: Array<() => Promise<void>>,
  log: Logger,
  sig: AbortSignal,
): Promise<{ vault: VaultClient; active: string; keys: KeyValue[] }> {
  const { target, vault } = await openVault(kube, o, log, sig);
  cleanup.push(() => vault.close());
  const store = await keyStoreFor(kube, target);
  cleanup.push(async () => store.close?.());
  await waitForUnsealed(vault, target.url, o.waitTimeoutMs, log, sig);
  const active = await findActiveNode(vault, target.url, target.namespace, log, sig);
  await requireCapability(vault, active, SNAPSHOT_PATH, 'read', sig);
  const prefix = typeof o.keyPrefix === 'string' ? o.keyPrefix : o.keyPrefix(target);
  const keys = await readKeys(store, keyNames(prefix, target.secretShares), sig);
  log.info({ keys: keys.map((k) => k.name) }, 'read the root token and unseal keys');
  return { vault, active, keys };
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
  await clearForBackup(kube, restic, config.namespace, probe, config.lockTimeoutMs, log, signal);
}

// Waits out (or removes, when provably dead) the locks a backup cannot run beside. A repository made
// just now has no locks; otherwise the probe already listed them.
export async function clearForBackup(
  kube: KubeApi,
  restic: ResticSession,
  namespace: string,
  probe: RepositoryProbe,
  lockTimeoutMs: number,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  await ensureNoBlockingLock(restic, (host) => podState(kube, namespace, host), log, {
    lockIds: probe.exists ? probe.lockIds : [],
    ourHostname: osHostname(),
    timeoutMs: lockTimeoutMs,
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
