// Secrets are read as raw bytes per key; callers decode one key at the point of use and never log objects.
import { seg, type KubeApi } from './client.ts';

export type SecretBytes = Record<string, Buffer>;

export function secretPath(namespace: string, name?: string): string {
  return `/api/v1/namespaces/${seg(namespace)}/secrets${name !== undefined ? `/${seg(name)}` : ''}`;
}

export async function readSecret(k: KubeApi, namespace: string, name: string): Promise<SecretBytes> {
  const s = await k.call<{ data?: Record<string, string> }>(`get secret ${namespace}/${name}`, {
    path: secretPath(namespace, name),
  });
  const out: SecretBytes = {};
  for (const [key, value] of Object.entries(s.data ?? {})) out[key] = Buffer.from(value, 'base64');
  return out;
}
