// Reads the AppBinding KubeVault created and its VaultServerConfiguration parameters, leniently: unknown
// fields are ignored and both `secret` reference shapes are accepted (we never use it).
import { TaskError } from '../errors.ts';
import { redactUrl, registerSecret } from '../secrets.ts';
import type { VaultTls } from '../vault/client.ts';
import { appBindingPort, appBindingUrl, type ClientConfig } from './app-url.ts';
import { seg, type KubeApi } from './client.ts';
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
  // The keyPrefix params KubeVault publishes for its Stash tasks ('' when absent).
  taskKeyPrefix: { backup: string; restore: string };
}

export async function readAppBinding(k: KubeApi, namespace: string, name: string): Promise<VaultTarget> {
  const obj = await k.call<Record<string, unknown>>(`get appbinding ${namespace}/${name}`, {
    path: `/apis/appcatalog.appscode.com/v1alpha1/namespaces/${seg(namespace)}/appbindings/${seg(name)}`,
  });
  return parseAppBinding(obj, namespace, name);
}

const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
// A number as JSON gives it (or a string of digits); anything else is NaN, for requireRaftTarget to refuse.
const count = (v: unknown): number =>
  typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;

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
    secretShares: count(unsealer['secretShares']),
    secretThreshold: count(unsealer['secretThreshold']),
    unsealerMode: unsealerModeOf(rec(unsealer['mode'])),
    secretTransforms: Array.isArray(spec['secretTransforms'])
      ? (spec['secretTransforms'] as SecretTransform[])
      : [],
    taskKeyPrefix: {
      backup: taskParam(rec(params['stash']), 'backupTask', 'keyPrefix'),
      restore: taskParam(rec(params['stash']), 'restoreTask', 'keyPrefix'),
    },
  };
}

// parameters.stash.addon.<task>.params[name].value (kubevault-model §2).
function taskParam(stash: Record<string, unknown>, task: string, name: string): string {
  const params = rec(rec(stash['addon'])[task])['params'];
  if (!Array.isArray(params)) return '';
  const p = params.map(rec).find((x) => x['name'] === name);
  return p === undefined ? '' : str(p['value']);
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

// The checks both commands need before touching Vault: each names the AppBinding field to fix.
export function requireRaftTarget(t: VaultTarget): void {
  const where = `AppBinding ${t.namespace}/${t.name}`;
  if (t.backend !== 'raft') {
    throw new TaskError(
      'config',
      `backend must be Raft for backup snapshots: ${where} says backend "${t.backend}"`,
    );
  }
  if (t.backupTokenSecretName === '') {
    throw new TaskError('config', `${where} has no parameters.backupTokenSecretRef.name`);
  }
  // Shamir's scheme over GF(2^8) allows at most 255 shares; KubeVault always records the count.
  if (!Number.isInteger(t.secretShares) || t.secretShares < 1 || t.secretShares > 255) {
    throw new TaskError(
      'config',
      `${where}: parameters.unsealer.secretShares must be an integer from 1 to 255, got ${String(t.secretShares)}`,
    );
  }
}

// The Vault address, checked before any request: a scheme and port that can work, and no credentials
// (Vault authenticates with the token; userinfo would only leak into logs). Returns the URL to use.
export function usableVaultUrl(t: VaultTarget): { url: string; warning: string | undefined } {
  const where = `AppBinding ${t.namespace}/${t.name}`;
  let u: URL;
  try {
    u = new URL(t.url);
  } catch {
    throw new TaskError(
      'config',
      `${where}: clientConfig gives an address that is not a URL: ${redactUrl(t.url)}`,
    );
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new TaskError(
      'config',
      `${where}: Vault address ${redactUrl(t.url)} must use https or http, not ${u.protocol}`,
    );
  }
  if (u.port === '0' || (t.port === 0 && u.port === '')) {
    throw new TaskError('config', `${where}: clientConfig.service has no port`);
  }
  let warning: string | undefined;
  if (u.username !== '' || u.password !== '') {
    if (u.password !== '') registerSecret(decodeURIComponent(u.password));
    u.username = '';
    u.password = '';
    warning = `${where}: credentials in clientConfig.url are ignored (Vault uses the backup token)`;
  }
  return { url: u.toString().replace(/\/$/, ''), warning };
}
