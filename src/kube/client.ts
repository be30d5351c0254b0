// Opens the Kubernetes API for one task run: connection from --kubeconfig/--master/KUBECONFIG or the pod's
// service account, every request cancelled with the task and retried a bounded number of times.
import type { Logger } from '../log.ts';
import { KubeApi } from './api.ts';
import { loadKubeConnection } from './connection.ts';

export { isNotFound, KubeApi } from './api.ts';

export async function openKube(
  kubeconfig: string,
  master: string,
  signal: AbortSignal,
  log: Logger,
): Promise<KubeApi> {
  const conn = await loadKubeConnection(kubeconfig, master);
  log.debug({ kube: conn.server, from: conn.source }, 'Kubernetes API');
  return new KubeApi(conn, {
    signal,
    onRetry: (what, reason, delayMs) =>
      log.warn({ what, reason, retryInMs: Math.round(delayMs) }, 'Kubernetes API call failed; retrying'),
  });
}

// Path segments are names the user wrote: encode them.
export const seg = encodeURIComponent;
