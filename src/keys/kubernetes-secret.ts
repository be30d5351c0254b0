// kubernetesSecret unsealer mode: one Secret whose data[<key name>] holds the raw plaintext bytes.
import { TaskError } from '../errors.ts';
import { isNotFound, type KubeApi } from '../kube/client.ts';
import { readSecret, secretPath, type SecretBytes } from '../kube/secrets.ts';
import type { CheckedKeyStore, WriteProof } from './store.ts';

// The API server's rule for Secret data keys (IsConfigMapKey).
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_KEY_LENGTH = 253;

export class KubernetesSecretStore implements CheckedKeyStore {
  readonly description: string;
  private readonly k: KubeApi;
  private readonly namespace: string;
  private readonly name: string;
  private cache: SecretBytes | undefined;
  private exists: boolean | undefined;

  constructor(k: KubeApi, namespace: string, name: string) {
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
        this.exists = true;
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
      this.exists = false;
    }
  }

  invalidNames(names: readonly string[]): string[] {
    return names.flatMap((n) => {
      if (n.length > MAX_KEY_LENGTH) return [`${n}: longer than ${MAX_KEY_LENGTH} characters`];
      if (!CONFIG_KEY.test(n)) return [`${n}: a Secret key may only hold letters, digits, '-', '_' and '.'`];
      return [];
    });
  }

  // The exact write set() would make, as a server-side dry-run: RBAC (403), validation (422) and
  // admission all answer as for the real request, and nothing is stored.
  async proveWritable(names: readonly string[]): Promise<WriteProof> {
    if (this.exists === undefined) await this.checkAccess();
    const data = Object.fromEntries(names.map((n) => [n, Buffer.from('dry-run').toString('base64')]));
    const verb = this.exists === true ? 'patch' : 'create';
    try {
      await this.write(data, true);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new TaskError(
        'keys',
        `${this.description} would refuse the keys (server-side dry-run of ${verb}): ${why}`,
        {
          cause: err,
        },
      );
    }
    return { proven: `server-side dry-run of ${verb} secret ${this.namespace}/${this.name}` };
  }

  // Create-or-patch, keeping the Secret's other keys (as the unsealer and the Go addon do).
  async set(key: string, value: Buffer): Promise<void> {
    await this.write({ [key]: value.toString('base64') }, false);
    if (this.cache !== undefined) this.cache[key] = Buffer.from(value);
  }

  private async write(data: Record<string, string>, dryRun: boolean): Promise<void> {
    const { name, namespace } = this;
    const query = dryRun ? { dryRun: 'All' } : undefined;
    const suffix = dryRun ? ' (dry-run)' : '';
    try {
      await this.k.call(`patch secret ${namespace}/${name}${suffix}`, {
        method: 'PATCH',
        path: secretPath(namespace, name),
        contentType: 'application/merge-patch+json',
        body: { data },
        ...(query !== undefined ? { query } : {}),
      });
      this.exists = true;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.k.call(`create secret ${namespace}/${name}${suffix}`, {
        method: 'POST',
        path: secretPath(namespace),
        body: { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data },
        ...(query !== undefined ? { query } : {}),
      });
      if (!dryRun) this.exists = true;
    }
  }
}
