// Secrets are read as raw bytes per key; callers decode one key at the point of use and never log objects.
import type { KubeClients } from './client.ts';
import { kubeCall } from './client.ts';

export type SecretBytes = Record<string, Buffer>;

export async function readSecret(k: KubeClients, namespace: string, name: string): Promise<SecretBytes> {
  const s = await kubeCall(`get secret ${namespace}/${name}`, () =>
    k.core.readNamespacedSecret({ name, namespace }),
  );
  const out: SecretBytes = {};
  for (const [key, value] of Object.entries(s.data ?? {})) out[key] = Buffer.from(value, 'base64');
  return out;
}
