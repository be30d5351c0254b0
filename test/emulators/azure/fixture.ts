// The azureKeyVault CloudKeyFixture: one loopback emulator that is both the Entra ID authority and the Key
// Vault, an app registration with get/set permission, and an encoder/decoder of the unsealer layout written
// here from the model (name dots → dashes, standard base64, contentType "password"), not from src/keys.
import { randomBytes, randomUUID } from 'node:crypto';
import type { CloudKeyFixture } from '../cloud/fixture.ts';
import { startAzureEmulator, type AzureEmulator } from './server.ts';

export interface AzureKeyFixture extends CloudKeyFixture {
  emulator: AzureEmulator;
  tenantId: string;
  clientId: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const secretNameOf = (key: string): string => key.split('.').join('-');

// Entra client secrets look like `abc8Q~…` (40 characters).
const clientSecret = (): string =>
  `${randomBytes(3).toString('hex').slice(0, 3)}8Q~${randomBytes(27).toString('base64url').slice(0, 34)}`;

export async function startAzureFixture(): Promise<AzureKeyFixture> {
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const secret = clientSecret();
  const emulator = await startAzureEmulator(tenantId);
  emulator.state.apps.set(clientId, { clientSecret: secret, permissions: new Set(['get', 'set']) });
  const { state } = emulator;
  return {
    emulator,
    tenantId,
    clientId,
    mode: {
      azureKeyVault: {
        vaultBaseURL: emulator.url,
        tenantID: tenantId,
        credentialSecretRef: { name: 'azure-cred' },
      },
    },
    credentialSecretData: { 'client-id': clientId, 'client-secret': secret },
    wrongCredentialSecretData: { 'client-id': clientId, 'client-secret': clientSecret() },
    env: {
      AZURE_AUTHORITY_HOST: emulator.url,
      NODE_EXTRA_CA_CERTS: emulator.caFile,
      STASH_VAULT_AZURE_SKIP_CHALLENGE_VERIFICATION: 'true',
    },
    seed: async (name, plaintext) => {
      state.put(secretNameOf(name), plaintext.toString('base64'), 'password');
    },
    read: async (name) => {
      const latest = state.latest(secretNameOf(name));
      if (latest === undefined) return undefined;
      if (latest.contentType !== 'password') {
        throw new Error(
          `secret ${secretNameOf(name)} has contentType ${String(latest.contentType)}, not password`,
        );
      }
      if (!BASE64.test(latest.value)) throw new Error(`secret ${secretNameOf(name)} is not standard base64`);
      return Buffer.from(latest.value, 'base64');
    },
    names: () => state.names(),
    writes: () => state.writes,
    faults: emulator.faults,
    secretValues: () => [secret],
    close: () => emulator.close(),
  };
}
