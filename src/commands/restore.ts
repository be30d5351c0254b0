// restore-vault: choose the backup, check everything that can be checked before Vault is touched
// (active node, capability, old keys present), stream `restic dump` into the snapshot upload while
// verifying it, then move the old cluster's keys under the new prefix (force) and wait for Vault.
import { once } from 'node:events';
import { allOrAbort } from '../concurrent.ts';
import type { RestoreConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { keyNames } from '../keys/names.ts';
import type { KeyValue } from '../keys/store.ts';
import { appBindingRef } from '../output/output.ts';
import { dumpArgs, snapshotsArgs, unlockStaleArgs } from '../restic/args.ts';
import { parseSnapshots } from '../restic/json.ts';
import { HoldBackVerified } from '../restore/hold-back.ts';
import { inferOldPrefix, locateBackupKeys, readBackupKeys, type LocatedKey } from '../restore/backup-keys.ts';
import { chooseBackup } from '../restore/select.ts';
import { startProgress } from '../stream/progress.ts';
import { findActiveNode } from '../vault/active-node.ts';
import { requireCapability, SNAPSHOT_FORCE_PATH, SNAPSHOT_PATH } from '../vault/capabilities.ts';
import { waitForUnsealed } from '../vault/health.ts';
import { uploadSnapshot } from '../vault/restore-upload.ts';
import { raftIndex, waitUntilRestored } from '../vault/wait-restored.ts';
import { connectKube, keyStoreFor, openRestic, openVault } from './prepare.ts';
import type { CommandResult } from './result.ts';

export async function runRestore(
  config: RestoreConfig,
  log: Logger,
  signal: AbortSignal,
): Promise<CommandResult> {
  const kube = connectKube(config);
  const restic = await openRestic(kube, config, log);
  const cleanup: Array<() => Promise<void>> = [() => restic.close()];
  try {
    // Choosing the backup and checking Vault only read: do both at once, the first failure stops both.
    const [{ all, chosen }, { target, vault, store, active }] = await allOrAbort(
      signal,
      async (sig) => {
        const all = parseSnapshots(await restic.run(snapshotsArgs({}, restic.common), sig));
        const host = config.sourceHostname !== '' ? config.sourceHostname : config.hostname;
        const chosen = chooseBackup(all, config.snapshots, host);
        const s = chosen.snapshot;
        log.info(
          { snapshot: s.shortId, layout: chosen.layout, host: s.hostname, snapshotTime: s.time },
          'chose the backup to restore',
        );
        return { all, chosen };
      },
      async (sig) => {
        const { target, vault } = await openVault(kube, config, log);
        cleanup.push(() => vault.close());
        const store = config.force ? await keyStoreFor(kube, target) : undefined;
        if (store !== undefined) cleanup.push(async () => store.close?.());
        await waitForUnsealed(vault, target.url, config.waitTimeoutMs, log, sig);
        const active = await findActiveNode(vault, target.url, target.namespace, log, sig);
        const path = config.force ? SNAPSHOT_FORCE_PATH : SNAPSHOT_PATH;
        await requireCapability(vault, active, path, 'update', sig);
        return { target, vault, store, active };
      },
    );

    let located: LocatedKey[] = [];
    if (config.force) {
      const oldPrefix =
        config.oldKeyPrefix !== '' ? config.oldKeyPrefix : (inferOldPrefix(all, chosen) ?? config.keyPrefix);
      located = locateBackupKeys(all, chosen, oldPrefix, target.secretShares);
      log.info({ oldPrefix, keys: located.length }, "found the old cluster's keys in the backup");
    }
    // The keys are read while the snapshot uploads; the upload's last chunk waits for them.
    const keysAbort = new AbortController();
    const keysRead = readBackupKeys(restic, chosen, located, AbortSignal.any([signal, keysAbort.signal]));
    keysRead.catch(() => undefined);
    cleanup.push(async () => {
      keysAbort.abort();
      await keysRead.catch(() => undefined);
    });

    // The keys move after Vault accepts the snapshot: prove the store takes our credentials first.
    const newNames = keyNames(config.keyPrefix, target.secretShares);
    if (store !== undefined) {
      await store.checkAccess(newNames);
      log.info({ store: store.description }, 'the unsealer store accepts our credentials');
    }

    const indexBefore = await raftIndex(vault, active, signal);
    const dump = restic.spawnWithStdout(dumpArgs(chosen.snapshot.id, chosen.raftPath, restic.common));
    const progress = startProgress(log, 'restore upload');
    const gate = new HoldBackVerified(Promise.all([dump.done, keysRead]), (n) => progress.update(n));
    keysRead.catch((err: unknown) => gate.destroy(err instanceof Error ? err : new Error(String(err))));
    dump.stdout.on('error', (err) => gate.destroy(err));
    try {
      // The upload opens only once restic has bytes ready: a request that sits silent while restic
      // derives its key lands on a kept-alive connection Vault may close meanwhile (http_idle_timeout).
      await once(dump.stdout, 'readable', { signal });
      if (dump.stdout.readableLength === 0) await dump.done; // no output: restic's own error
      dump.stdout.pipe(gate);
      await uploadSnapshot(vault, active, gate, config.force, signal);
    } catch (err) {
      // Stop restic first and keep draining its stdout, so it exits through its own cleanup (a restic
      // killed by SIGPIPE leaves its lock behind); then clear locks of dead local processes only.
      dump.stdout.unpipe(gate);
      dump.kill();
      dump.stdout.resume();
      await dump.done.catch(() => undefined);
      await restic.run(unlockStaleArgs(restic.common)).catch(() => undefined);
      // The first cause wins: a failed dump, key read or verification explains the aborted upload.
      throw gate.errored ?? err;
    } finally {
      progress.finish();
    }
    const oldKeys: KeyValue[] = await keysRead;
    log.info({ bytes: gate.bytes, ...gate.facts }, 'Vault accepted the snapshot');

    if (config.force && store !== undefined) {
      for (const [i, kv] of oldKeys.entries()) await store.set(newNames[i] ?? '', kv.value);
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
    return {
      hostname: config.hostname,
      ref: appBindingRef(config.appBindingName, config.appBindingNamespace),
    };
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  }
}
