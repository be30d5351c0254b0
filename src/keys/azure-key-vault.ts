// azureKeyVault unsealer mode (kubevault-model §4.3): one Key Vault secret per key, named after the key
// with every `.` replaced by `-`, holding the standard base64 of the plaintext with contentType "password".
// The latest version is read, as the Go addon does; a write adds a new version.
import { SecretClient, type KeyVaultSecret } from '@azure/keyvault-secrets';
import { TaskError } from '../errors.ts';
import { boundedCall, cloudDeadlines, deadlineFailure, type CloudDeadlines } from './cloud-call.ts';
import { azureAuth, type AzureAuth } from './azure-credential.ts';
import { azureFailure, isRetryableAzure } from './azure-errors.ts';
import { azureNameProblem, azureSecretNameOf, invalidAzureNames } from './azure-names.ts';
import { requireSpec, specString, type CloudKeyStore, type CloudStoreOptions } from './cloud.ts';
import { requireValidNames, type WriteProof } from './store.ts';

const MODE = 'azureKeyVault';
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// The unsealer's own write-access probe key; read (never written) when checkAccess gets no names.
const PROBE_KEY = 'vault-unsealer-dummy-file';
// Key Vault's challenge names the resource (https://vault.azure.net) and the SDK checks that the vault host
// is under it. Only an explicit opt-in turns that off, for a vault emulator on a loopback address.
const SKIP_CHALLENGE_VERIFICATION = 'STASH_VAULT_AZURE_SKIP_CHALLENGE_VERIFICATION';

// The Key Vault secret name of a key; a name Key Vault cannot hold is a configuration error.
export function azureSecretName(key: string): string {
  const why = azureNameProblem(key);
  if (why !== undefined)
    throw new TaskError('config', `${MODE} cannot hold key ${JSON.stringify(key)}: ${why}`);
  return azureSecretNameOf(key);
}

function vaultUrl(spec: Record<string, unknown>): string {
  const raw = specString(spec, 'vaultBaseURL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TaskError('config', `${MODE}: vaultBaseURL ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new TaskError('config', `${MODE}: vaultBaseURL must be https://`);
  return url.origin;
}

const isNotFound = (err: unknown): boolean =>
  err instanceof Error && (err as { code?: unknown }).code === 'SecretNotFound';

class AzureKeyVaultStore implements CloudKeyStore {
  readonly description: string;
  private readonly client: SecretClient;
  private readonly auth: AzureAuth;
  private readonly redact: string[];
  private readonly deadlines: CloudDeadlines;

  constructor(
    url: string,
    auth: AzureAuth,
    skipChallengeVerification: boolean,
    redact: string[],
    deadlines: CloudDeadlines,
  ) {
    this.description = `${MODE} ${url}`;
    this.auth = auth;
    this.redact = redact;
    this.deadlines = deadlines;
    this.client = new SecretClient(url, auth.credential, {
      ...auth.clientOptions,
      disableChallengeResourceVerification: skipChallengeVerification,
    });
  }

  private bounded<T>(signal: AbortSignal | undefined, call: (s: AbortSignal) => Promise<T>): Promise<T> {
    return boundedCall(this.deadlines, signal, isRetryableAzure, call);
  }

  private fail(action: string, key: string, secretName: string, err: unknown): TaskError {
    const what = `${action} ${key} (Azure secret ${secretName})`;
    const deadline = deadlineFailure(this.description, what, err);
    if (deadline !== undefined) return deadline;
    const why = azureFailure(err, this.auth.authorityHost, this.redact);
    return new TaskError('keys', `${this.description}: cannot ${what} as ${this.auth.who}: ${why}`, {
      cause: err,
    });
  }

  invalidNames(names: readonly string[]): string[] {
    return invalidAzureNames(names);
  }

  // The latest version as stored, or undefined when the secret does not exist.
  private async latest(
    key: string,
    secretName: string,
    signal: AbortSignal | undefined,
  ): Promise<KeyVaultSecret | undefined> {
    try {
      return await this.bounded(signal, (abortSignal) => this.client.getSecret(secretName, { abortSignal }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.fail('read', key, secretName, err);
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    const secretName = azureSecretName(key);
    const secret = await this.latest(key, secretName, signal);
    if (secret === undefined) return undefined;
    // Go's base64.StdEncoding ignores line breaks; anything else not base64 is not an unsealer value.
    const text = (secret.value ?? '').replace(/[\r\n]/g, '');
    if (!STANDARD_BASE64.test(text)) {
      throw new TaskError(
        'keys',
        `${this.description}: ${key} (Azure secret ${secretName}) is not standard base64, so it was not written by the KubeVault unsealer`,
      );
    }
    return Buffer.from(text, 'base64');
  }

  async set(key: string, value: Buffer, signal?: AbortSignal): Promise<void> {
    const secretName = azureSecretName(key);
    try {
      await this.bounded(signal, (abortSignal) =>
        this.client.setSecret(secretName, value.toString('base64'), { contentType: 'password', abortSignal }),
      );
    } catch (err) {
      throw this.fail('write', key, secretName, err);
    }
  }

  // Reads only: every get authenticates (challenge, then token) and checks the `get` permission.
  async checkAccess(names: readonly string[], signal?: AbortSignal): Promise<void> {
    requireValidNames(this, names);
    for (const name of names.length === 0 ? [PROBE_KEY] : names) await this.get(name, signal);
  }

  // Key Vault has no dry run. The proof re-sets ONE existing target secret to exactly what its latest version
  // holds (value, contentType, tags, enabled, dates): the same PUT set() sends, so it proves `secrets/set` (or
  // the RBAC setSecret action) for real. A reader of the value sees no change; the secret gains a version.
  // (A write by someone else between our read and the re-set would be superseded; the window is one request.)
  async proveWritable(names: readonly string[], signal?: AbortSignal): Promise<WriteProof> {
    requireValidNames(this, names);
    let found: { key: string; secret: KeyVaultSecret } | undefined;
    for (const key of names) {
      const secret = await this.latest(key, azureSecretNameOf(key), signal);
      if (secret?.value !== undefined) {
        found = { key, secret };
        break;
      }
    }
    if (found === undefined) {
      return {
        proven: 'authenticated to Key Vault and read the target secrets (none exists)',
        unprovable:
          'secrets/set: Key Vault has no dry run and none of the target secrets exists to re-set with its own value; creating one would be visible',
      };
    }
    const { key, secret } = found;
    const p = secret.properties;
    try {
      await this.bounded(signal, (abortSignal) =>
        this.client.setSecret(secret.name, secret.value ?? '', {
          abortSignal,
          ...(p.contentType === undefined ? {} : { contentType: p.contentType }),
          ...(p.tags === undefined ? {} : { tags: p.tags }),
          ...(p.enabled === undefined ? {} : { enabled: p.enabled }),
          ...(p.notBefore === undefined ? {} : { notBefore: p.notBefore }),
          ...(p.expiresOn === undefined ? {} : { expiresOn: p.expiresOn }),
        }),
      );
    } catch (err) {
      throw this.fail('write', key, secret.name, err);
    }
    const others = names.filter((n) => n !== key).map(azureSecretNameOf);
    return {
      proven: `Key Vault set of secret ${secret.name} to the value and attributes of its latest version (one more version, same value)`,
      ...(others.length > 0
        ? {
            unprovable: `Key Vault has no dry run: ${others.join(', ')} are proven only insofar as their access (vault access policy or RBAC scope) matches ${secret.name}`,
          }
        : {}),
    };
  }

  // Drops the keep-alive sockets of the client-secret agent, so nothing outlives the task.
  close(): Promise<void> {
    this.auth.agent?.destroy();
    return Promise.resolve();
  }
}

export async function openAzureKeyVaultStore(opts: CloudStoreOptions): Promise<CloudKeyStore> {
  requireSpec(MODE, opts.spec, ['vaultBaseURL', 'tenantID']);
  const url = vaultUrl(opts.spec);
  const auth = await azureAuth(opts, specString(opts.spec, 'tenantID'));
  const skip = ['1', 'true'].includes(opts.env[SKIP_CHALLENGE_VERIFICATION] ?? '');
  const secret = opts.credentials?.['client-secret']?.toString('utf8').trim() ?? '';
  return new AzureKeyVaultStore(
    url,
    auth,
    skip,
    secret === '' ? [] : [secret],
    cloudDeadlines(opts.deadlines),
  );
}
