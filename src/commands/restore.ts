// restore-vault: choose the backup, check everything that can be checked before Vault is touched
// (active node, capability, old keys present), stream `restic dump` into the snapshot upload while
// verifying it, then move the old cluster's keys under the new prefix (force) and wait for Vault.
import type { RestoreConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { keyNames } from '../keys/names.ts';
import type { KeyValue } from '../keys/store.ts';
import { appBindingRef } from '../output/output.ts';
import { dumpArgs, snapshotsArgs, unlockStaleArgs } from '../restic/args.ts';
import { parseSnapshots } from '../restic/json.ts';
import { HoldBackVerified } from '../restore/hold-back.ts';
import { inferOldPrefix, readBackupKeys } from '../restore/backup-keys.ts';
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
    const all = parseSnapshots(await restic.run(snapshotsArgs({}, restic.common), signal));
    const host = config.sourceHostname !== '' ? config.sourceHostname : config.hostname;
    const chosen = chooseBackup(all, config.snapshots, host);
    log.info(
      {
        snapshot: chosen.snapshot.shortId,
        layout: chosen.layout,
        host: chosen.snapshot.hostname,
        time: chosen.snapshot.time,
      },
      'chose the backup to restore',
    );

    const { target, vault } = await openVault(kube, config, log);
    cleanup.push(() => vault.close());
    const store = config.force ? await keyStoreFor(kube, target) : undefined;
    if (store !== undefined) cleanup.push(async () => store.close?.());
    await waitForUnsealed(vault, target.url, config.waitTimeoutMs, log, signal);
    const active = await findActiveNode(vault, target.url, target.namespace, log, signal);
    await requireCapability(
      vault,
      active,
      config.force ? SNAPSHOT_FORCE_PATH : SNAPSHOT_PATH,
      'update',
      signal,
    );

    let oldKeys: KeyValue[] = [];
    if (config.force) {
      const oldPrefix =
        config.oldKeyPrefix !== '' ? config.oldKeyPrefix : (inferOldPrefix(all, chosen) ?? config.keyPrefix);
      oldKeys = await readBackupKeys(restic, all, chosen, oldPrefix, target.secretShares, signal);
      log.info({ oldPrefix, keys: oldKeys.length }, "read the old cluster's keys from the backup");
    }

    // The keys move after Vault accepts the snapshot: prove the store takes our credentials first.
    const newNames = keyNames(config.keyPrefix, target.secretShares);
    if (store !== undefined) {
      await store.checkAccess(newNames);
      log.info({ store: store.description }, 'the unsealer store accepts our credentials');
    }

    const indexBefore = await raftIndex(vault, active, signal);
    const dump = restic.spawnWithStdout(dumpArgs(chosen.snapshot.id, chosen.raftPath, restic.common));
    const progress = startProgress(log, 'restore upload');
    const gate = new HoldBackVerified(dump.done, (n) => progress.update(n));
    dump.stdout.on('error', (err) => gate.destroy(err));
    dump.stdout.pipe(gate);
    try {
      await uploadSnapshot(vault, active, gate, config.force, signal);
    } catch (err) {
      // Stop restic first and keep draining its stdout, so it exits through its own cleanup (a restic
      // killed by SIGPIPE leaves its lock behind); then clear locks of dead local processes only.
      dump.stdout.unpipe(gate);
      dump.kill();
      dump.stdout.resume();
      const cause = await dump.done.then(
        () => gate.errored ?? err,
        (e: unknown) => e,
      );
      await restic.run(unlockStaleArgs(restic.common)).catch(() => undefined);
      // The first cause wins: a failed dump or verification explains the aborted upload.
      throw cause instanceof Error ? cause : err;
    } finally {
      progress.finish();
    }
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
