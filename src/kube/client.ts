// Kubernetes access: --kubeconfig/--master, else KUBECONFIG, else the in-cluster service account.
// Every API failure becomes a KubeError naming the object, never the raw response (which echoes bodies).
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { KubeError } from '../errors.ts';

export interface KubeClients {
  core: CoreV1Api;
  custom: CustomObjectsApi;
}

export function loadKubeConfig(
  kubeconfig: string,
  master: string,
  env: NodeJS.ProcessEnv = process.env,
): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig !== '') kc.loadFromFile(kubeconfig);
  else if ((env['KUBECONFIG'] ?? '') !== '') kc.loadFromDefault();
  else kc.loadFromCluster();
  if (master !== '') {
    const current = kc.getCurrentCluster();
    if (current === null) throw new KubeError('kubeconfig has no current cluster to apply --master to');
    const clusters = kc.getClusters().map((c) => (c.name === current.name ? { ...c, server: master } : c));
    kc.loadFromOptions({
      clusters,
      users: kc.getUsers(),
      contexts: kc.getContexts(),
      currentContext: kc.getCurrentContext(),
    });
  }
  return kc;
}

export function kubeClients(kc: KubeConfig): KubeClients {
  return { core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

// Runs one API call; `what` reads like "get secret demo/vault-keys".
export async function kubeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toKubeError(what, err);
  }
}

export function toKubeError(what: string, err: unknown): KubeError {
  if (err instanceof ApiException) {
    const status = err.code;
    const body = statusBody(err.body);
    const reason = body.reason ?? '';
    const message = body.message ?? '';
    const detail = [reason, message].filter((s) => s !== '').join(': ');
    return new KubeError(`${what}: ${status}${detail !== '' ? ` ${detail}` : ''}`, status, { cause: err });
  }
  const text = err instanceof Error ? err.message : String(err);
  return new KubeError(`${what}: ${text}`, undefined, { cause: err });
}

function statusBody(body: unknown): { reason?: string; message?: string } {
  let b = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {
      return {};
    }
  }
  if (typeof b !== 'object' || b === null) return {};
  const o = b as Record<string, unknown>;
  return {
    ...(typeof o['reason'] === 'string' ? { reason: o['reason'] } : {}),
    ...(typeof o['message'] === 'string' ? { message: o['message'].slice(0, 300) } : {}),
  };
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeError && err.status === 404;
}
