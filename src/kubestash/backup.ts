// KubeStash `backup`: the session's Snapshots name the repositories (one or more); the shared core streams
// the verified Raft snapshot and the keys into each, Raft object last, a failed run forgetting its
// objects; each Snapshot's `dump` component reports its own run (kubestash-contract §5.3, §8).
import { randomUUID } from 'node:crypto';
import { allOrAbort } from '../concurrent.ts';
import { describeError, TaskError } from '../errors.ts';
import type { KubeApi } from '../kube/client.ts';
import type { Logger } from '../log.ts';
import { formatSize, goDuration } from '../output/go-format.ts';
import { checkArgs, initArgs, statsRawDataArgs } from '../restic/args.ts';
import { probeRepository } from '../restic/probe.ts';
import { openResticSession, type ResticSession } from '../restic/session.ts';
import { scrubSecrets } from '../secrets.ts';
import { clearForBackup, prepareVaultSide } from '../commands/backup.ts';
import { connectKube } from '../commands/prepare.ts';
import { storeRun } from '../commands/store-run.ts';
import type { KubeStashBackupConfig } from './config.ts';
import {
  getObject,
  resolveBackupSession,
  resolveRepository,
  snapshotComponentPath,
  type ResolvedRepository,
} from './inputs.ts';
import { COMPONENT, objectPath, type SnapshotObj } from './objects.ts';
import { stopCause, withDeadline } from './deadline.ts';
import type { SnapshotReporter } from './reporter.ts';
import { resticStatsItem } from './status.ts';

// restic's host for this component, as KubeStash's addons use the component name.
export const KUBESTASH_HOST = COMPONENT;
// How long the operator may take to list the session's Snapshots.
const SNAPSHOTS_WAIT_MS = 60_000;

interface Target {
  resolved: ResolvedRepository;
  restic: ResticSession;
}

export async function runKubeStashBackup(
  config: KubeStashBackupConfig,
  report: SnapshotReporter,
  log: Logger,
  taskSignal: AbortSignal,
): Promise<void> {
  const started = process.hrtime.bigint();
  const kube = await connectKube(config, taskSignal, log);
  const cleanup: Array<() => Promise<void>> = [() => kube.close()];
  let signal = taskSignal;
  try {
    const ns = config.namespace;
    const inputs = await resolveBackupSession(
      kube,
      ns,
      config.backupSession,
      Math.min(SNAPSHOTS_WAIT_MS, config.waitTimeoutMs),
      log,
      signal,
    );
    const deadline = withDeadline(
      taskSignal,
      inputs.session.status?.backupDeadline,
      `BackupSession ${ns}/${config.backupSession}`,
    );
    cleanup.push(() => Promise.resolve(deadline.clear()));
    signal = deadline.signal;
    const snapshots = await Promise.all(
      inputs.snapshots.map((s) =>
        getObject<SnapshotObj>(kube, `Snapshot ${ns}/${s.name}`, objectPath('snapshots', ns, s.name), signal),
      ),
    );
    // Every Snapshot shows Running before anything can fail, so every one of them reports the outcome.
    for (const snapshot of snapshots) {
      await report.running({
        namespace: ns,
        name: snapshot.metadata.name,
        path: snapshotComponentPath(snapshot),
      });
    }
    const targets: Target[] = [];
    for (const snapshot of snapshots) {
      const resolved = await resolveRepository(
        kube,
        snapshot,
        { scratchDir: config.scratchDir, enableCache: config.enableCache, encryptionDefaultNs: ns },
        signal,
      );
      const restic = await openResticSession(resolved.location.config, resolved.secrets, log);
      cleanup.push(() => restic.close());
      log.info(
        { snapshot: snapshot.metadata.name, repository: restic.repositoryForLogs },
        'restic repository of the Snapshot',
      );
      targets.push({ resolved, restic });
    }
    const [, { vault, active, keys }] = await allOrAbort(
      signal,
      (sig) => Promise.all(targets.map((t) => readyRepository(kube, t.restic, config, log, sig))),
      (sig) =>
        prepareVaultSide(
          kube,
          {
            appBindingNamespace: inputs.appBinding.namespace,
            appBindingName: inputs.appBinding.name,
            vaultClientTimeoutMs: config.vaultClientTimeoutMs,
            waitTimeoutMs: config.waitTimeoutMs,
            keyPrefix: (t) => (config.keyPrefix !== '' ? config.keyPrefix : t.taskKeyPrefix.backup),
          },
          cleanup,
          log,
          sig,
        ),
    );
    // One repository after another, each from a snapshot of its own: a failure in one leaves the others'
    // backups standing, and is reported on its own Snapshot.
    const failures: string[] = [];
    for (const t of targets) {
      const name = t.resolved.snapshot.metadata.name;
      try {
        const startTime = new Date();
        const stats = await storeRun({
          restic: t.restic,
          vault,
          active,
          keys,
          host: KUBESTASH_HOST,
          runId: randomUUID(),
          log,
          signal,
        });
        const endTime = new Date();
        const { size, integrity } = await verifyRepository(t.restic, log, signal);
        await report.done(name, {
          phase: 'Succeeded',
          duration: goDuration(process.hrtime.bigint() - started),
          ...(size !== undefined ? { size } : {}),
          integrity,
          resticStats: stats.map((s) => resticStatsItem(s, { startTime, endTime })),
        });
      } catch (err) {
        if (signal.aborted) throw stopCause(signal, err);
        const error = scrubSecrets(describeError(err));
        log.error({ snapshot: name, error }, 'backup into this repository failed');
        failures.push(`${name}: ${error}`);
        await report.done(name, {
          phase: 'Failed',
          duration: goDuration(process.hrtime.bigint() - started),
          error,
        });
      }
    }
    if (failures.length > 0) {
      throw new TaskError(
        'restic',
        `${failures.length} of ${targets.length} repositories failed: ${failures.join('; ')}`,
      );
    }
  } catch (err) {
    throw stopCause(signal, err);
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  }
}

// The component repository exists (KubeStash makes the Repository, not the restic repository inside
// it) and no live lock stands in the way.
async function readyRepository(
  kube: KubeApi,
  restic: ResticSession,
  config: KubeStashBackupConfig,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const probe = await probeRepository(restic, signal);
  if (!probe.exists) {
    log.info({ repository: restic.repositoryForLogs }, 'initializing the restic repository');
    await restic.run(initArgs(restic.common), signal);
  }
  await clearForBackup(kube, restic, config.namespace, probe, config.lockTimeoutMs, log, signal);
}

// The repository's size and integrity as KubeStash records them: `restic stats --mode raw-data` and
// `restic check` (metadata only), side by side; neither fails a backup that is already committed.
async function verifyRepository(
  restic: ResticSession,
  log: Logger,
  signal: AbortSignal,
): Promise<{ size: string | undefined; integrity: boolean }> {
  const [stats, check] = await Promise.allSettled([
    restic.run(statsRawDataArgs(restic.common), signal),
    restic.run(checkArgs(restic.common), signal),
  ]);
  let size: string | undefined;
  if (stats.status === 'fulfilled') {
    const total = (JSON.parse(stats.value) as { total_size?: unknown }).total_size;
    if (typeof total === 'number') size = formatSize(total);
  } else {
    log.warn({ error: describeError(stats.reason) }, 'restic stats failed: no size recorded');
  }
  const integrity = check.status === 'fulfilled' && /no errors were found/.test(check.value);
  if (!integrity) {
    log.error(
      { error: check.status === 'rejected' ? describeError(check.reason) : 'no "no errors were found" line' },
      'restic check did not pass',
    );
  }
  return { size, integrity };
}
