// kubernetesSecret unsealer mode: one Secret whose data[<key name>] holds the raw plaintext bytes.
import { TaskError } from '../errors.ts';
import { isNotFound, type KubeClients } from '../kube/client.ts';
import { readSecret, type SecretBytes } from '../kube/secrets.ts';
import type { KeyStore } from './store.ts';

export class KubernetesSecretStore implements KeyStore {
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
        if (isNotFound(err)) throw new TaskError('keys', `${this.description} does not exist`, { cause: err });
        throw err;
      }
    }
    return this.cache[key];
  }

  set(): Promise<void> {
    return Promise.reject(new TaskError('keys', 'writing keys is part of restore'));
  }
}
