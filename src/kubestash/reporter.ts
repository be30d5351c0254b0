// Reports a KubeStash run on the objects it ran for. Status writes use a Kubernetes client of their own,
// not cancelled with the task: after SIGTERM the Failed phase must still reach the API (within the
// task's stop grace, hence the short deadline).
import { describeError } from '../errors.ts';
import { KubeApi } from '../kube/api.ts';
import { loadKubeConnection } from '../kube/connection.ts';
import type { Logger } from '../log.ts';
import { scrubSecrets } from '../secrets.ts';
import { patchDumpComponent, type BackupComponent } from './status.ts';

const STATUS_TIMEOUT_MS = 2500;

export async function openStatusKube(kubeconfig: string, master: string, log: Logger): Promise<KubeApi> {
  const conn = await loadKubeConnection(kubeconfig, master);
  return new KubeApi(conn, {
    requestTimeoutMs: STATUS_TIMEOUT_MS,
    maxAttempts: 2,
    onRetry: (what, reason) => log.warn({ what, reason }, 'status write failed; retrying'),
  });
}

interface SnapshotTarget {
  namespace: string;
  name: string;
  path: string;
}

// Every Snapshot of a backup session not yet reported Succeeded is reported Failed when the run fails.
export class SnapshotReporter {
  private readonly pending = new Map<string, SnapshotTarget>();
  private readonly kube: KubeApi;
  private readonly log: Logger;

  constructor(kube: KubeApi, log: Logger) {
    this.kube = kube;
    this.log = log;
  }

  async running(t: SnapshotTarget): Promise<void> {
    this.pending.set(t.name, t);
    await patchDumpComponent(this.kube, 'snapshots', t.namespace, t.name, {
      path: t.path,
      driver: 'Restic',
      phase: 'Running',
    });
  }

  async done(name: string, c: Omit<BackupComponent, 'path' | 'driver'>): Promise<void> {
    const t = this.pending.get(name);
    if (t === undefined) return;
    this.pending.delete(name);
    await patchDumpComponent(this.kube, 'snapshots', t.namespace, t.name, {
      path: t.path,
      driver: 'Restic',
      ...c,
    });
    this.log.info({ snapshot: `${t.namespace}/${t.name}`, phase: c.phase }, 'wrote the Snapshot status');
  }

  async failPending(error: string, duration: string): Promise<void> {
    for (const name of [...this.pending.keys()]) {
      await this.done(name, { phase: 'Failed', duration, error }).catch((err: unknown) =>
        this.log.error({ error: scrubSecrets(describeError(err)) }, 'could not write the Failed status'),
      );
    }
  }
}

export class RestoreReporter {
  private target: { namespace: string; name: string } | undefined;
  private readonly kube: KubeApi;
  private readonly log: Logger;

  constructor(kube: KubeApi, log: Logger) {
    this.kube = kube;
    this.log = log;
  }

  async running(namespace: string, name: string): Promise<void> {
    this.target = { namespace, name };
    await patchDumpComponent(this.kube, 'restoresessions', namespace, name, { phase: 'Running' });
  }

  async finish(duration: string, error: string | undefined): Promise<void> {
    const t = this.target;
    if (t === undefined) return;
    this.target = undefined;
    try {
      await patchDumpComponent(this.kube, 'restoresessions', t.namespace, t.name, {
        phase: error === undefined ? 'Succeeded' : 'Failed',
        duration,
        ...(error !== undefined ? { error } : {}),
      });
      this.log.info(
        { restoreSession: `${t.namespace}/${t.name}`, phase: error === undefined ? 'Succeeded' : 'Failed' },
        'wrote the RestoreSession status',
      );
    } catch (err) {
      this.log.error(
        { error: scrubSecrets(describeError(err)) },
        'could not write the RestoreSession status',
      );
      if (error === undefined) throw err;
    }
  }
}
