// restore-vault: choose the backup, check everything that can be checked before Vault is touched (active
// node, capability, the old keys present, and for force the new keys' store proven writable), stream
// `restic dump` into the snapshot upload while verifying it, then move the old cluster's keys under the
// new prefix (force) and wait for Vault.
import { once } from 'node:events';
import { allOrAbort } from '../concurrent.ts';
import type { RestoreConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { keyNames } from '../keys/names.ts';
import { requireValidNames, type KeyValue } from '../keys/store.ts';
import { appBindingRef } from '../output/output.ts';
import { dumpArgs, snapshotsArgs } from '../restic/args.ts';
import { parseSnapshots } from '../restic/json.ts';
import type { ResticSession } from '../restic/session.ts';
import { HoldBackVerified } from '../restore/hold-back.ts';
import { locateBackupKeys, readBackupKeys, type LocatedKeys } from '../restore/backup-keys.ts';
import { storeMovedKeys } from '../restore/move-keys.ts';
import { chooseBackup, type Chosen } from '../restore/select.ts';
import { startProgress } from '../stream/progress.ts';
import { findActiveNode } from '../vault/active-node.ts';
import { requireCapability, SNAPSHOT_FORCE_PATH, SNAPSHOT_PATH } from '../vault/capabilities.ts';
import type { VaultClient } from '../vault/client.ts';
import { waitForUnsealed } from '../vault/health.ts';
import { uploadSnapshot } from '../vault/restore-upload.ts';
import { raftIndex, waitUntilRestored } from '../vault/wait-restored.ts';
import { connectKube, keyStoreFor, openRestic, openVault, type VaultOptions } from './prepare.ts';
import type { KubeApi } from '../kube/client.ts';
import type { VaultTarget } from '../kube/appbinding.ts';
import type { SnapshotInfo } from '../restic/json.ts';
import type { CommandResult } from './result.ts';

export async function runRestore(
  config: RestoreConfig,
  log: Logger,
  signal: AbortSignal,
): Promise<CommandResult> {
  const kube = await connectKube(config, signal, log);
  const cleanup: Array<() => Promise<void>> = [() => kube.close()];
  try {
    const restic = await openRestic(kube, config, log);
    cleanup.push(() => restic.close());
    const host = config.sourceHostname !== '' ? config.sourceHostname : config.hostname;
    await restoreVault(
      kube,
      restic,
      {
        ...config,
        choose: (all) => chooseBackup(all, config.snapshots, host, config.sourceHostname),
      },
      cleanup,
      log,
      signal,
    );
    return {
      hostname: config.hostname,
      ref: appBindingRef(config.appBindingName, config.appBindingNamespace),
    };
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  }
}

export interface RestoreOptions extends VaultOptions {
  waitTimeoutMs: number;
  force: boolean;
  // The KubeStash front end may take it from the AppBinding when its flag is empty.
  keyPrefix: string | ((target: VaultTarget) => string);
  oldKeyPrefix: string;
  // Picks the backup among the repository's snapshots (a TaskError when none fits).
  choose: (all: SnapshotInfo[]) => Chosen;
}

// The restore both front ends share: everything checked before Vault is touched, then the held-back
// upload, the keys moved (force) and the wait for Vault.
export async function restoreVault(
  kube: KubeApi,
  restic: ResticSession,
  config: RestoreOptions,
  cleanup: Array<() => Promise<void>>,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  let keyPrefix = typeof config.keyPrefix === 'string' ? config.keyPrefix : '';
  // Choosing the backup and checking Vault only read: do both at once, the first failure stops both.
  const [{ chosen, located }, { vault, store, active }] = await allOrAbort(
    signal,
    async (sig) => {
      const all = parseSnapshots(await restic.run(snapshotsArgs({}, restic.common), sig));
      const chosen = config.choose(all);
      const s = chosen.snapshot;
      log.info(
        { snapshot: s.shortId, layout: chosen.layout, host: s.hostname, snapshotTime: s.time },
        'chose the backup to restore',
      );
      const located = config.force
        ? await locateBackupKeys(restic, all, chosen, config.oldKeyPrefix, sig)
        : undefined;
      if (located !== undefined) {
        log.info(
          { oldPrefix: located.oldPrefix, unsealKeys: located.unsealKeys },
          "found the old cluster's keys in the backup",
        );
      }
      return { chosen, located };
    },
    async (sig) => {
      const { target, vault } = await openVault(kube, config, log, sig);
      cleanup.push(() => vault.close());
      if (typeof config.keyPrefix !== 'string') keyPrefix = config.keyPrefix(target);
      const store = config.force ? await keyStoreFor(kube, target) : undefined;
      if (store !== undefined) cleanup.push(async () => store.close?.());
      await waitForUnsealed(vault, target.url, config.waitTimeoutMs, log, sig);
      const active = await findActiveNode(vault, target.url, target.namespace, log, sig);
      const path = config.force ? SNAPSHOT_FORCE_PATH : SNAPSHOT_PATH;
      await requireCapability(vault, active, path, 'update', sig);
      return { vault, store, active };
    },
  );

  // The keys move after Vault accepts the snapshot: prove now that the store will take them, by name.
  let newNames: string[] = [];
  if (store !== undefined && located !== undefined) {
    newNames = keyNames(keyPrefix, located.unsealKeys);
    requireValidNames(store, newNames);
    await store.checkAccess(newNames, signal);
    const proof = await store.proveWritable(newNames, signal);
    log.info(
      {
        store: store.description,
        proven: proof.proven,
        ...(proof.unprovable ? { unprovable: proof.unprovable } : {}),
      },
      'the unsealer store will accept the moved keys',
    );
  }

  const { oldKeys, indexBefore } = await upload(
    restic,
    vault,
    active,
    chosen,
    located,
    config.force,
    log,
    signal,
  );

  if (store !== undefined && located !== undefined) {
    await storeMovedKeys(store, newNames, oldKeys, located, restic.repositoryForLogs, log, signal);
    log.info(
      { store: store.description, keys: newNames },
      "stored the old cluster's keys under the new prefix",
    );
  }
  const state = await waitUntilRestored(
    vault,
    active,
    indexBefore,
    config.waitTimeoutMs,
    config.force,
    log,
    signal,
  );
  log.info(
    { state },
    state === 'sealed'
      ? "restored: Vault is sealed and waits for the old cluster's unseal keys"
      : 'restored: Vault is active and unsealed',
  );
}

// Streams the chosen backup into Vault, the old keys read alongside; the upload's last chunk waits for
// the archive to verify, restic dump to exit 0 and the keys to be read. Returns the old keys and Vault's
// raft index before the upload (the restore is applied once the index moves past it).
async function upload(
  restic: ResticSession,
  vault: VaultClient,
  active: string,
  chosen: Chosen,
  located: LocatedKeys | undefined,
  force: boolean,
  log: Logger,
  signal: AbortSignal,
): Promise<{ oldKeys: KeyValue[]; indexBefore: number | undefined }> {
  const keysAbort = new AbortController();
  const keysRead: Promise<KeyValue[]> =
    located === undefined
      ? Promise.resolve([])
      : readBackupKeys(restic, located, AbortSignal.any([signal, keysAbort.signal]));
  keysRead.catch(() => undefined);
  const indexBefore = await raftIndex(vault, active, signal);
  const dump = restic.spawnWithStdout(dumpArgs(chosen.snapshot.id, chosen.raftPath, restic.common));
  const progress = startProgress(log, 'restore upload');
  const gate = new HoldBackVerified(Promise.all([dump.done, keysRead]), (n) => progress.update(n));
  // Its first error is read from gate.errored below; it may come before the upload listens.
  gate.on('error', () => undefined);
  keysRead.catch((err: unknown) => gate.destroy(err instanceof Error ? err : new Error(String(err))));
  dump.stdout.on('error', (err) => gate.destroy(err));
  try {
    // The upload opens only once restic has bytes ready: a request that sits silent while restic
    // derives its key lands on a kept-alive connection Vault may close meanwhile (http_idle_timeout).
    await once(dump.stdout, 'readable', { signal });
    if (dump.stdout.readableLength === 0) await dump.done; // no output: restic's own error
    dump.stdout.pipe(gate);
    await uploadSnapshot(vault, active, gate, force, signal);
  } catch (err) {
    // Stop restic first and keep draining its stdout, so it exits through its own cleanup (a restic
    // killed by SIGPIPE leaves its lock behind); then clear locks of dead local processes only.
    keysAbort.abort(err);
    dump.stdout.unpipe(gate);
    dump.kill();
    dump.stdout.resume();
    await dump.done.catch(() => undefined);
    await keysRead.catch(() => undefined);
    await restic.clearDeadLocks();
    // The first cause wins: a failed dump, key read or verification explains the aborted upload.
    throw gate.errored ?? err;
  } finally {
    progress.finish();
  }
  const oldKeys = await keysRead;
  log.info({ bytes: gate.bytes, ...gate.facts }, 'Vault accepted the snapshot');
  return { oldKeys, indexBefore };
}
