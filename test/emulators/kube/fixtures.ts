// Builders for the objects KubeVault and Stash create, in their real shapes (kubevault-model.md §1-2,
// stash-contract.md §3.5/§4), valid against the CRDs in shared/crds; e2e tests put() these.
import type { KubeObject } from './types.ts';

const APPBINDING_API = 'appcatalog.appscode.com/v1alpha1';
const STASH_API = 'stash.appscode.com/v1beta1';

export interface SecretOptions {
  name: string;
  namespace: string;
  // Plain-text values; stored base64-encoded in `data`, as the API server keeps them.
  data: Record<string, string>;
}

// A generic Opaque Secret.
export function secret(o: SecretOptions): KubeObject {
  const data = Object.fromEntries(
    Object.entries(o.data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: o.name, namespace: o.namespace },
    type: 'Opaque',
    data,
  };
}

// The Repository's storage Secret (RESTIC_PASSWORD and provider credentials).
export function storageSecret(o: SecretOptions): KubeObject {
  return secret(o);
}

export interface AppBindingOptions {
  name: string;
  namespace: string;
  url?: string;
  service?: { name: string; port: number; scheme: string; namespace?: string; path?: string };
  caBundlePem?: string;
  insecureSkipTLSVerify?: boolean;
  serverName?: string;
  backupTokenSecret: string;
  keysSecret: string;
  // A cloud unsealer mode object ({ awsKmsSsm: {...} } etc.) instead of kubernetesSecret.
  unsealerMode?: Record<string, unknown> | undefined;
  secretShares: number;
  secretThreshold: number;
  keyPrefix: string;
  backend?: string;
  secretTransforms?: unknown[];
  extraParameters?: Record<string, unknown>;
}

function clientConfig(o: AppBindingOptions): Record<string, unknown> {
  const cc: Record<string, unknown> = {};
  if (o.url !== undefined) cc['url'] = o.url;
  else
    cc['service'] = o.service ?? {
      name: o.name,
      port: 8200,
      scheme: o.caBundlePem !== undefined ? 'https' : 'http',
    };
  if (o.caBundlePem !== undefined) cc['caBundle'] = Buffer.from(o.caBundlePem, 'utf8').toString('base64');
  if (o.insecureSkipTLSVerify !== undefined) cc['insecureSkipTLSVerify'] = o.insecureSkipTLSVerify;
  if (o.serverName !== undefined) cc['serverName'] = o.serverName;
  return cc;
}

// The AppBinding the KubeVault operator creates for a VaultServer named like the binding, with
// spec.parameters = VaultServerConfiguration (kubevault-model.md §2, canonical shape).
export function appBinding(o: AppBindingOptions): KubeObject {
  const keyPrefixParam = [{ name: 'keyPrefix', value: o.keyPrefix }];
  const parameters = {
    apiVersion: 'config.kubevault.com/v1alpha1',
    kind: 'VaultServerConfiguration',
    backend: o.backend ?? 'raft',
    backupTokenSecretRef: { name: o.backupTokenSecret },
    kubernetes: {
      serviceAccountName: o.name,
      tokenReviewerServiceAccountName: `${o.name}-k8s-token-reviewer`,
      usePodServiceAccountForCSIDriver: true,
    },
    path: 'kubernetes',
    stash: {
      addon: {
        backupTask: { name: 'vault-backup-1.10.3', params: keyPrefixParam },
        restoreTask: { name: 'vault-restore-1.10.3', params: structuredClone(keyPrefixParam) },
      },
    },
    unsealer: {
      mode: o.unsealerMode ?? { kubernetesSecret: { secretName: o.keysSecret } },
      secretShares: o.secretShares,
      secretThreshold: o.secretThreshold,
    },
    vaultRole: `${o.name}-policy-controller`,
    ...o.extraParameters,
  };
  return {
    apiVersion: APPBINDING_API,
    kind: 'AppBinding',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: {
        'app.kubernetes.io/instance': o.name,
        'app.kubernetes.io/managed-by': 'kubevault.com',
        'app.kubernetes.io/name': 'vaultservers.kubevault.com',
      },
    },
    spec: {
      appRef: { apiGroup: 'kubevault.com', kind: 'VaultServer', name: o.name, namespace: o.namespace },
      clientConfig: clientConfig(o),
      parameters,
      ...(o.secretTransforms !== undefined ? { secretTransforms: o.secretTransforms } : {}),
      type: 'kubevault.com/vaultserver',
    },
  };
}

export interface BackupSessionOptions {
  name: string;
  namespace: string;
  invokerName: string;
  targetRef: { name: string; namespace: string };
  // Defaults to ['InitializeBackendRepository'], which the operator gives target 0; [] for none.
  preBackupActions?: string[];
  conditions?: unknown[];
}

// A Running BackupSession whose first target is the AppBinding, as the Stash operator creates it.
export function backupSession(o: BackupSessionOptions): KubeObject {
  const actions = o.preBackupActions ?? ['InitializeBackendRepository'];
  const target = {
    ref: {
      apiVersion: APPBINDING_API,
      kind: 'AppBinding',
      name: o.targetRef.name,
      namespace: o.targetRef.namespace,
    },
    totalHosts: 1,
    phase: 'Running',
    ...(actions.length > 0 ? { preBackupActions: actions } : {}),
  };
  return {
    apiVersion: STASH_API,
    kind: 'BackupSession',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: {
        'stash.appscode.com/invoker-name': o.invokerName,
        'stash.appscode.com/invoker-type': 'BackupConfiguration',
      },
    },
    spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: o.invokerName } },
    status: {
      phase: 'Running',
      targets: [target],
      ...(o.conditions !== undefined ? { conditions: o.conditions } : {}),
    },
  };
}

export interface RestoreSessionOptions {
  name: string;
  namespace: string;
  targetRef: { name: string; namespace?: string };
  repository: string | { name: string; namespace?: string };
  // Defaults to restoring the latest snapshot.
  rules?: Array<Record<string, unknown>>;
}

// A Running RestoreSession targeting an AppBinding (kubevault docs, backup-restore/restore.md).
export function restoreSession(o: RestoreSessionOptions): KubeObject {
  const ref: Record<string, string> = {
    apiVersion: APPBINDING_API,
    kind: 'AppBinding',
    name: o.targetRef.name,
  };
  if (o.targetRef.namespace !== undefined) ref['namespace'] = o.targetRef.namespace;
  return {
    apiVersion: STASH_API,
    kind: 'RestoreSession',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      driver: 'Restic',
      repository: typeof o.repository === 'string' ? { name: o.repository } : o.repository,
      target: { ref, rules: o.rules ?? [{ snapshots: ['latest'] }] },
    },
    status: { phase: 'Running', totalHosts: 1 },
  };
}

export interface PodOptions {
  name: string;
  namespace: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
}

// A Pod, e.g. the holder of a restic exclusive lock (stash-contract.md §3.4).
export function pod(o: PodOptions): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
    status: { phase: o.phase },
  };
}
