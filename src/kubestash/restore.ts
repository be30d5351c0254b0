// KubeStash `restore`: the RestoreSession and the Snapshot (by name, or the newest Succeeded one of the
// repository for `latest`) name the restic repository and the restic snapshot ids; the shared core
// restores into the target AppBinding's Vault, moving the old cluster's keys when forced (§7).
import { TaskError } from '../errors.ts';
import type { KubeApi } from '../kube/client.ts';
import type { Logger } from '../log.ts';
import { openResticSession } from '../restic/session.ts';
import { restoreVault } from '../commands/restore.ts';
import { connectKube } from '../commands/prepare.ts';
import { chooseBackup } from '../restore/select.ts';
import type { KubeStashRestoreConfig } from './config.ts';
import { appBindingOf, getObject, resolveRepository } from './inputs.ts';
import {
  COMPONENT,
  objectPath,
  REPO_NAME_LABEL,
  type RestoreSessionObj,
  type SnapshotObj,
} from './objects.ts';
import { stopCause, withDeadline } from './deadline.ts';
import type { RestoreReporter } from './reporter.ts';

export async function runKubeStashRestore(
  config: KubeStashRestoreConfig,
  report: RestoreReporter,
  log: Logger,
  taskSignal: AbortSignal,
): Promise<void> {
  const kube = await connectKube(config, taskSignal, log);
  const cleanup: Array<() => Promise<void>> = [() => kube.close()];
  let signal = taskSignal;
  try {
    const ns = config.namespace;
    const rs = await getObject<RestoreSessionObj>(
      kube,
      `RestoreSession ${ns}/${config.restoreSession}`,
      objectPath('restoresessions', ns, config.restoreSession),
      signal,
    );
    await report.running(ns, config.restoreSession);
    const deadline = withDeadline(
      taskSignal,
      rs.status?.restoreDeadline,
      `RestoreSession ${ns}/${config.restoreSession}`,
    );
    cleanup.push(() => Promise.resolve(deadline.clear()));
    signal = deadline.signal;
    const ds = rs.spec?.dataSource ?? {};
    const dsNs = ds.namespace || ns;
    if ((ds.components ?? []).length > 0 && !(ds.components ?? []).includes(COMPONENT)) {
      throw new TaskError(
        'config',
        `RestoreSession ${ns}/${config.restoreSession} asks for components ${(ds.components ?? []).join(', ')}; a Vault backup has only "${COMPONENT}"`,
      );
    }
    const snapshot = await findSnapshot(
      kube,
      dsNs,
      config.snapshot || ds.snapshot || '',
      ds.repository ?? '',
      log,
      signal,
    );
    const comp = snapshot.status?.components?.[COMPONENT];
    if (comp === undefined) {
      throw new TaskError(
        'config',
        `Snapshot ${dsNs}/${snapshot.metadata.name} has no "${COMPONENT}" component`,
      );
    }
    const ids = (comp.resticStats ?? []).map((r) => r.summary?.id ?? r.id ?? '').filter((id) => id !== '');
    if (ids.length === 0) {
      // Guessing by time could restore another backup than the one asked for.
      throw new TaskError(
        'config',
        `Snapshot ${dsNs}/${snapshot.metadata.name} records no restic snapshot id (status.components.${COMPONENT}.resticStats is empty); restore it by restic snapshot id with the Stash front end or restic itself`,
      );
    }
    const resolved = await resolveRepository(
      kube,
      snapshot,
      {
        scratchDir: config.scratchDir,
        enableCache: config.enableCache,
        encryptionDefaultNs: ns,
        encryptionOverride: ds.encryptionSecret,
        ...(comp.path ? { componentPath: comp.path } : {}),
      },
      signal,
    );
    const restic = await openResticSession(resolved.location.config, resolved.secrets, log);
    cleanup.push(() => restic.close());
    log.info(
      { snapshot: snapshot.metadata.name, repository: restic.repositoryForLogs, resticIds: ids },
      'restoring the Snapshot',
    );
    const target = appBindingOf(
      rs.spec?.target ?? snapshot.spec?.appRef,
      ns,
      `RestoreSession ${ns}/${config.restoreSession}`,
    );
    await restoreVault(
      kube,
      restic,
      {
        appBindingNamespace: target.namespace,
        appBindingName: target.name,
        vaultClientTimeoutMs: config.vaultClientTimeoutMs,
        waitTimeoutMs: config.waitTimeoutMs,
        force: config.force,
        keyPrefix: (t) => (config.keyPrefix !== '' ? config.keyPrefix : t.taskKeyPrefix.restore),
        oldKeyPrefix: config.oldKeyPrefix,
        // Every id of the Snapshot belongs to one run; any of them selects its Raft object.
        choose: (all) => chooseBackup(all, [ids[0] ?? ''], ''),
      },
      cleanup,
      log,
      signal,
    );
  } catch (err) {
    throw stopCause(signal, err);
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  }
}

// A Snapshot by name; '' or 'latest' means the newest Succeeded Snapshot of the data source's repository.
async function findSnapshot(
  kube: KubeApi,
  ns: string,
  name: string,
  repository: string,
  log: Logger,
  signal: AbortSignal,
): Promise<SnapshotObj> {
  if (name !== '' && name !== 'latest') {
    return getObject<SnapshotObj>(kube, `Snapshot ${ns}/${name}`, objectPath('snapshots', ns, name), signal);
  }
  if (repository === '') {
    throw new TaskError('config', 'no Snapshot named and no dataSource.repository to find the latest one in');
  }
  const list = await kube.call<{ items?: SnapshotObj[] }>(
    `list Snapshots of repository ${ns}/${repository}`,
    {
      path: objectPath('snapshots', ns),
      query: { labelSelector: `${REPO_NAME_LABEL}=${repository}` },
      signal,
    },
  );
  const done = (list.items ?? [])
    .filter((s) => s.status?.phase === 'Succeeded' && s.spec?.repository === repository)
    .sort((a, b) => Date.parse(b.status?.snapshotTime ?? '') - Date.parse(a.status?.snapshotTime ?? ''));
  const latest = done[0];
  if (latest === undefined) {
    throw new TaskError('config', `repository ${ns}/${repository} has no Succeeded Snapshot to restore`);
  }
  log.info({ snapshot: latest.metadata.name }, 'resolved the latest Snapshot');
  return latest;
}
