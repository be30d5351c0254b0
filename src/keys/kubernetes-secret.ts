// kubernetesSecret unsealer mode: one Secret whose data[<key name>] holds the raw plaintext bytes.
import { TaskError } from '../errors.ts';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { isNotFound, kubeCall, type KubeClients } from '../kube/client.ts';
import { readSecret, type SecretBytes } from '../kube/secrets.ts';
import type { CheckedKeyStore } from './store.ts';

export class KubernetesSecretStore implements CheckedKeyStore {
  readonly description: string;
  private readonly k: KubeClients;
  private readonly namespace: string;
  private readonly name: string;
  private cache: SecretBytes | undefined;

  constructor(k: KubeClients, namespace: string, name: string) {
    if (name === '') throw new TaskError('config', 'unsealer mode kubernetesSecret has no secretName');
    this.k = k;
    this.namespace = namespace;
    this.name = name;
    this.description = `kubernetesSecret ${namespace}/${name}`;
  }

  async get(key: string): Promise<Buffer | undefined> {
    if (this.cache === undefined) {
      try {
        this.cache = await readSecret(this.k, this.namespace, this.name);
      } catch (err) {
        if (isNotFound(err))
          throw new TaskError('keys', `${this.description} does not exist`, { cause: err });
        throw err;
      }
    }
    return this.cache[key];
  }

  // A missing Secret is fine: set() creates it.
  async checkAccess(): Promise<void> {
    try {
      await this.get('');
    } catch (err) {
      if (!(err instanceof TaskError && err.code === 'keys')) throw err;
    }
  }

  // Create-or-patch, keeping the Secret's other keys (as the unsealer and the Go addon do).
  async set(key: string, value: Buffer): Promise<void> {
    const { name, namespace } = this;
    const data = { [key]: value.toString('base64') };
    try {
      await kubeCall(`patch secret ${namespace}/${name}`, () =>
        this.k.core.patchNamespacedSecret(
          { name, namespace, body: { data } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await kubeCall(`create secret ${namespace}/${name}`, () =>
        this.k.core.createNamespacedSecret({
          namespace,
          body: { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data },
        }),
      );
    }
    if (this.cache !== undefined) this.cache[key] = value;
  }
}
