// What the job writes back (kubestash-contract §5.3, §7.4): Snapshot.status.components.dump and
// RestoreSession.status.components.dump, by JSON merge patch on the /status subresource, so other
// components and the operator's own fields stay untouched.
import type { KubeApi } from '../kube/client.ts';
import type { StoredObjectStats } from '../output/output.ts';
import { formatSize } from '../output/go-format.ts';
import { COMPONENT, objectPath } from './objects.ts';

export interface StatsWindow {
  startTime: Date;
  endTime: Date;
}

// metav1.Time: RFC 3339, UTC, whole seconds.
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// One resticStats item per stored restic snapshot, written in both schema shapes at once (flat before
// apimachinery v0.28.0-rc.2, under `summary` after): the API server prunes the half its CRD does not know.
export function resticStatsItem(s: StoredObjectStats, w: StatsWindow): Record<string, unknown> {
  const summary = {
    id: s.snapshotId,
    uploaded: formatSize(s.dataAdded),
    hostPath: s.path,
    size: formatSize(s.totalBytesProcessed),
    startTime: kubeTime(w.startTime),
    endTime: kubeTime(w.endTime),
  };
  return { ...summary, summary };
}

export interface BackupComponent {
  path: string;
  driver: 'Restic';
  phase: 'Running' | 'Succeeded' | 'Failed';
  duration?: string;
  size?: string;
  integrity?: boolean;
  error?: string;
  resticStats?: Array<Record<string, unknown>>;
}

export interface RestoreComponent {
  phase: 'Running' | 'Succeeded' | 'Failed';
  duration?: string;
  error?: string;
}

// One merge patch of status.components.dump on the object's /status subresource.
export async function patchDumpComponent(
  kube: KubeApi,
  plural: 'snapshots' | 'restoresessions',
  namespace: string,
  name: string,
  component: BackupComponent | RestoreComponent,
): Promise<void> {
  const kind = plural === 'snapshots' ? 'Snapshot' : 'RestoreSession';
  await kube.call(`patch ${kind} ${namespace}/${name} status`, {
    method: 'PATCH',
    path: `${objectPath(plural, namespace, name)}/status`,
    contentType: 'application/merge-patch+json',
    body: { status: { components: { [COMPONENT]: component } } },
  });
}
