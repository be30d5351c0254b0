// The steps backup and restore share: the Kubernetes API, the storage secret and restic session, the
// AppBinding (raft only, an address that can work), the backup token after secretTransforms, the Vault
// client and the unsealer key store. Everything network-bound is cancelled with the task.
import type { Config } from '../config/config.ts';
import { TaskError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { isNotFound, openKube, type KubeApi } from '../kube/client.ts';
import { readAppBinding, requireRaftTarget, usableVaultUrl, type VaultTarget } from '../kube/appbinding.ts';
import { readSecret } from '../kube/secrets.ts';
import { applySecretTransforms } from '../kube/transforms.ts';
import { KubernetesSecretStore } from '../keys/kubernetes-secret.ts';
import type { CheckedKeyStore } from '../keys/store.ts';
import { credentialSecretName, type CloudStoreOptions } from '../keys/cloud.ts';
import { openResticSession, type ResticSession } from '../restic/session.ts';
import { VaultClient } from '../vault/client.ts';
import { redactUrl, registerSecret } from '../secrets.ts';

export async function connectKube(
  config: { kubeconfig: string; master: string },
  signal: AbortSignal,
  log: Logger,
): Promise<KubeApi> {
  try {
    return await openKube(config.kubeconfig, config.master, signal, log);
  } catch (err) {
    throw new TaskError(
      'kube',
      `cannot load Kubernetes credentials: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

export async function openRestic(kube: KubeApi, config: Config, log: Logger): Promise<ResticSession> {
  const r = config.repository;
  const secret = await readSecret(kube, r.storageSecretNamespace, r.storageSecretName);
  const session = await openResticSession(r, secret, log);
  log.info({ repository: session.repositoryForLogs }, 'restic repository');
  return session;
}

// Where the Vault target is and how long one Vault call may take.
export interface VaultOptions {
  appBindingNamespace: string;
  appBindingName: string;
  vaultClientTimeoutMs: number | undefined;
}

export async function openVault(
  kube: KubeApi,
  config: VaultOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<{ target: VaultTarget; vault: VaultClient }> {
  const read = await readAppBinding(kube, config.appBindingNamespace, config.appBindingName);
  requireRaftTarget(read);
  const { url, warning } = usableVaultUrl(read);
  if (warning !== undefined) log.warn(warning);
  const target = { ...read, url };
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
  log.info({ vault: redactUrl(target.url), tlsVerified: !target.tls.insecureSkipVerify }, 'Vault target');
  return {
    target,
    vault: new VaultClient(token, target.tls, { clientTimeoutMs: config.vaultClientTimeoutMs, signal }),
  };
}

// The unsealer store of the target cluster. Cloud SDKs are loaded only for their own mode: together
// they weigh more than the rest of the task.
export async function keyStoreFor(kube: KubeApi, target: VaultTarget): Promise<CheckedKeyStore> {
  const mode = target.unsealerMode;
  if (mode === undefined) {
    throw new TaskError(
      'config',
      `AppBinding ${target.namespace}/${target.name} has no parameters.unsealer.mode`,
    );
  }
  if (mode.kind === 'kubernetesSecret') {
    return new KubernetesSecretStore(kube, target.namespace, mode.secretName);
  }
  const opts: CloudStoreOptions = {
    namespace: target.namespace,
    spec: mode.spec,
    credentials: await readCredentials(kube, target.namespace, mode.kind, mode.spec),
    env: process.env,
  };
  switch (mode.kind) {
    case 'awsKmsSsm':
      return (await import('../keys/aws-kms-ssm.ts')).openAwsKmsSsmStore(opts);
    case 'googleKmsGcs':
      return (await import('../keys/google-kms-gcs.ts')).openGoogleKmsGcsStore(opts);
    case 'azureKeyVault':
      return (await import('../keys/azure-key-vault.ts')).openAzureKeyVaultStore(opts);
  }
}

// The credential secret lives in the AppBinding namespace; without one the SDK's ambient credentials
// (IRSA, workload identity, managed identity) are used.
async function readCredentials(
  kube: KubeApi,
  namespace: string,
  mode: string,
  spec: Record<string, unknown>,
): Promise<Record<string, Buffer> | undefined> {
  const name = credentialSecretName(spec);
  if (name === undefined) return undefined;
  try {
    const data = await readSecret(kube, namespace, name);
    Object.values(data).forEach(registerSecret);
    return data;
  } catch (err) {
    if (isNotFound(err)) {
      throw new TaskError(
        'config',
        `unsealer mode ${mode}: credential secret ${namespace}/${name} does not exist`,
        { cause: err },
      );
    }
    throw err;
  }
}
