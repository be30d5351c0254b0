// The steps backup and restore share: Kubernetes clients, the storage secret and restic session,
// the AppBinding (raft only), the backup token after secretTransforms, the Vault client and key store.
import type { Config } from '../config/config.ts';
import { TaskError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { kubeClients, loadKubeConfig, type KubeClients } from '../kube/client.ts';
import { readAppBinding, requireRaftTarget, type VaultTarget } from '../kube/appbinding.ts';
import { readSecret } from '../kube/secrets.ts';
import { applySecretTransforms } from '../kube/transforms.ts';
import { KubernetesSecretStore } from '../keys/kubernetes-secret.ts';
import type { KeyStore } from '../keys/store.ts';
import { openResticSession, type ResticSession } from '../restic/session.ts';
import { VaultClient } from '../vault/client.ts';
import { registerSecret } from '../secrets.ts';

export function connectKube(config: Config): KubeClients {
  try {
    return kubeClients(loadKubeConfig(config.kubeconfig, config.master));
  } catch (err) {
    throw new TaskError(
      'kube',
      `cannot load Kubernetes credentials: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export async function openRestic(kube: KubeClients, config: Config, log: Logger): Promise<ResticSession> {
  const r = config.repository;
  const secret = await readSecret(kube, r.storageSecretNamespace, r.storageSecretName);
  const session = await openResticSession(r, secret, log);
  log.info({ repository: session.repositoryForLogs }, 'restic repository');
  return session;
}

export async function openVault(
  kube: KubeClients,
  config: Config,
  log: Logger,
): Promise<{ target: VaultTarget; vault: VaultClient }> {
  const target = await readAppBinding(kube, config.appBindingNamespace, config.appBindingName);
  requireRaftTarget(target);
  const ns = target.namespace;
  const raw = await readSecret(kube, ns, target.backupTokenSecretName);
  const data = await applySecretTransforms(raw, target.secretTransforms, (name) =>
    readSecret(kube, ns, name),
  );
  const token = data['token']?.toString('utf8').trim() ?? '';
  if (token === '') {
    throw new TaskError(
      'config',
      `backup token secret ${ns}/${target.backupTokenSecretName} has no "token" key`,
    );
  }
  registerSecret(token);
  log.info({ vault: target.url, tlsVerified: !target.tls.insecureSkipVerify }, 'Vault target');
  return { target, vault: new VaultClient(token, target.tls, config.vaultClientTimeoutMs) };
}

// The unsealer store of the target cluster; cloud modes are reported as not supported yet.
export function keyStoreFor(kube: KubeClients, target: VaultTarget): KeyStore {
  const mode = target.unsealerMode;
  if (mode === undefined) {
    throw new TaskError(
      'config',
      `AppBinding ${target.namespace}/${target.name} has no parameters.unsealer.mode`,
    );
  }
  if (mode.kind !== 'kubernetesSecret') {
    throw new TaskError(
      'config',
      `unsealer mode ${mode.kind} is not supported by this version; only kubernetesSecret is`,
    );
  }
  return new KubernetesSecretStore(kube, target.namespace, mode.secretName);
}
