// Reads the AppBinding KubeVault created and its VaultServerConfiguration parameters, leniently: unknown
// fields are ignored and both `secret` reference shapes are accepted (we never use it).
import { TaskError } from '../errors.ts';
import type { VaultTls } from '../vault/client.ts';
import { appBindingPort, appBindingUrl, type ClientConfig } from './app-url.ts';
import { kubeCall, type KubeClients } from './client.ts';
import type { SecretTransform } from './transforms.ts';

export type UnsealerMode =
  | { kind: 'kubernetesSecret'; secretName: string }
  | { kind: 'googleKmsGcs' | 'awsKmsSsm' | 'azureKeyVault'; spec: Record<string, unknown> };

export interface VaultTarget {
  name: string;
  namespace: string;
  url: string;
  port: number | undefined;
  tls: VaultTls;
  backend: string;
  backupTokenSecretName: string;
  secretShares: number;
  secretThreshold: number;
  unsealerMode: UnsealerMode | undefined;
  secretTransforms: SecretTransform[];
}

export async function readAppBinding(k: KubeClients, namespace: string, name: string): Promise<VaultTarget> {
  const obj = (await kubeCall(`get appbinding ${namespace}/${name}`, () =>
    k.custom.getNamespacedCustomObject({
      group: 'appcatalog.appscode.com',
      version: 'v1alpha1',
      namespace,
      plural: 'appbindings',
      name,
    }),
  )) as Record<string, unknown>;
  return parseAppBinding(obj, namespace, name);
}

const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function parseAppBinding(obj: Record<string, unknown>, namespace: string, name: string): VaultTarget {
  const spec = rec(obj['spec']);
  const cc = rec(spec['clientConfig']) as ClientConfig & Record<string, unknown>;
  const params = rec(spec['parameters']);
  const unsealer = rec(params['unsealer']);
  const caBundle = str(cc['caBundle']);
  let port: number | undefined;
  try {
    port = appBindingPort(cc);
  } catch {
    port = undefined;
  }
  return {
    name,
    namespace,
    url: appBindingUrl(cc, namespace),
    port,
    tls: {
      caPem: caBundle !== '' ? Buffer.from(caBundle, 'base64').toString('utf8') : undefined,
      serverName: str(cc['serverName']) !== '' ? str(cc['serverName']) : undefined,
      insecureSkipVerify: cc['insecureSkipTLSVerify'] === true,
    },
    backend: str(params['backend']),
    backupTokenSecretName: str(rec(params['backupTokenSecretRef'])['name']),
    secretShares: Number(unsealer['secretShares'] ?? 0),
    secretThreshold: Number(unsealer['secretThreshold'] ?? 0),
    unsealerMode: unsealerModeOf(rec(unsealer['mode'])),
    secretTransforms: Array.isArray(spec['secretTransforms'])
      ? (spec['secretTransforms'] as SecretTransform[])
      : [],
  };
}

// The Go addon's order: the first mode present wins.
function unsealerModeOf(mode: Record<string, unknown>): UnsealerMode | undefined {
  for (const kind of ['googleKmsGcs', 'awsKmsSsm', 'azureKeyVault'] as const) {
    if (mode[kind] !== undefined && mode[kind] !== null) return { kind, spec: rec(mode[kind]) };
  }
  const k8s = mode['kubernetesSecret'];
  if (k8s !== undefined && k8s !== null)
    return { kind: 'kubernetesSecret', secretName: str(rec(k8s)['secretName']) };
  return undefined;
}

// The checks both commands need before touching Vault.
export function requireRaftTarget(t: VaultTarget): void {
  if (t.backend !== 'raft') {
    throw new TaskError(
      'config',
      `backend must be Raft for backup snapshots: AppBinding ${t.namespace}/${t.name} says backend "${t.backend}"`,
    );
  }
  if (t.backupTokenSecretName === '') {
    throw new TaskError(
      'config',
      `AppBinding ${t.namespace}/${t.name} has no parameters.backupTokenSecretRef.name`,
    );
  }
}
