// azureKeyVault unsealer mode (kubevault-model §4.3): one Key Vault secret per key, named after the key
// with every `.` replaced by `-`, holding the standard base64 of the plaintext with contentType "password".
// The latest version is read, as the Go addon does; a write adds a new version.
import { SecretClient } from '@azure/keyvault-secrets';
import { TaskError } from '../errors.ts';
import { azureAuth, type AzureAuth } from './azure-credential.ts';
import { azureFailure } from './azure-errors.ts';
import { requireSpec, specString, type CloudKeyStore, type CloudStoreOptions } from './cloud.ts';

const MODE = 'azureKeyVault';
const VALID_SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// The unsealer's own write-access probe key; read (never written) when checkAccess gets no names.
const PROBE_KEY = 'vault-unsealer-dummy-file';
// Key Vault's challenge names the resource (https://vault.azure.net) and the SDK checks that the vault host
// is under it. Only an explicit opt-in turns that off, for a vault emulator on a loopback address.
const SKIP_CHALLENGE_VERIFICATION = 'STASH_VAULT_AZURE_SKIP_CHALLENGE_VERIFICATION';

// The unsealer's mapping (strings.ReplaceAll(key, ".", "-")); it is lossy, so it is never reversed.
export function azureSecretName(key: string): string {
  const name = key.replaceAll('.', '-');
  if (!VALID_SECRET_NAME.test(name)) {
    throw new TaskError(
      'config',
      `${MODE} cannot hold key ${JSON.stringify(key)}: Azure secret name ${JSON.stringify(name)} must be 1-127 characters of 0-9, a-z, A-Z and -`,
    );
  }
  return name;
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

class AzureKeyVaultStore implements CloudKeyStore {
  readonly description: string;
  private readonly client: SecretClient;
  private readonly auth: AzureAuth;
  private readonly redact: string[];

  constructor(url: string, auth: AzureAuth, skipChallengeVerification: boolean, redact: string[]) {
    this.description = `${MODE} ${url}`;
    this.auth = auth;
    this.redact = redact;
    this.client = new SecretClient(url, auth.credential, {
      ...auth.clientOptions,
      disableChallengeResourceVerification: skipChallengeVerification,
    });
  }

  private fail(action: string, key: string, secretName: string, err: unknown): TaskError {
    const why = azureFailure(err, this.auth.authorityHost, this.redact);
    return new TaskError(
      'keys',
      `${this.description}: cannot ${action} ${key} (Azure secret ${secretName}) as ${this.auth.who}: ${why}`,
      { cause: err },
    );
  }

  async get(key: string): Promise<Buffer | undefined> {
    const secretName = azureSecretName(key);
    let value: string | undefined;
    try {
      value = (await this.client.getSecret(secretName)).value;
    } catch (err) {
      if (err instanceof Error && (err as { code?: unknown }).code === 'SecretNotFound') return undefined;
      throw this.fail('read', key, secretName, err);
    }
    // Go's base64.StdEncoding ignores line breaks; anything else not base64 is not an unsealer value.
    const text = (value ?? '').replace(/[\r\n]/g, '');
    if (!STANDARD_BASE64.test(text)) {
      throw new TaskError(
        'keys',
        `${this.description}: ${key} (Azure secret ${secretName}) is not standard base64, so it was not written by the KubeVault unsealer`,
      );
    }
    return Buffer.from(text, 'base64');
  }

  async set(key: string, value: Buffer): Promise<void> {
    const secretName = azureSecretName(key);
    try {
      await this.client.setSecret(secretName, value.toString('base64'), { contentType: 'password' });
    } catch (err) {
      throw this.fail('write', key, secretName, err);
    }
  }

  // Reads only: every get authenticates (challenge, then token) and checks the `get` permission.
  async checkAccess(names: readonly string[]): Promise<void> {
    for (const name of names.length === 0 ? [PROBE_KEY] : names) await this.get(name);
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
  return new AzureKeyVaultStore(url, auth, skip, secret === '' ? [] : [secret]);
}
