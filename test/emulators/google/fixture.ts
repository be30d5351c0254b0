// CloudKeyFixture for the googleKmsGcs unsealer mode: one HTTPS emulator (test CA), one service
// account whose RSA key pair is made here, one KMS key and one bucket. seed/read encode the
// documented layout (KMS Encrypt of the plaintext, no AAD → raw ciphertext bytes → object named
// exactly as the key, flat, in the bucket) straight on the emulator's state, not via src/keys.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudKeyFixture } from '../cloud/fixture.ts';
import { makeTestPki } from '../../helpers/certs.ts';
import { startGoogleEmulator, type GoogleEmulator } from './server.ts';

export const PROJECT = 'demo-proj';
export const BUCKET = 'vault-keys';
export const KEY_PATH = `projects/${PROJECT}/locations/global/keyRings/vault/cryptoKeys/unseal`;
export const CLIENT_EMAIL = `stash-vault@${PROJECT}.iam.gserviceaccount.com`;

export interface GoogleFixture extends CloudKeyFixture {
  emulator: GoogleEmulator;
  // The test CA the emulator's certificate chains to (also in env.NODE_EXTRA_CA_CERTS as a file).
  caPem: string;
}

function rsaKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

// The base64 lines of a PEM: each is distinctive, and one survives any quoting or JSON escaping.
const pemBodyLines = (pem: string): string[] =>
  pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));

export async function startGoogleFixture(): Promise<GoogleFixture> {
  const pki = makeTestPki(['localhost']);
  const emulator = await startGoogleEmulator({ tls: { certPem: pki.certPem, keyPem: pki.keyPem } });
  const dir = mkdtempSync(join(tmpdir(), 'google-fixture-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.caPem);

  const keyId = randomBytes(20).toString('hex');
  const good = rsaKeyPair();
  const wrong = rsaKeyPair();
  emulator.addServiceAccount(CLIENT_EMAIL, good.publicKey, keyId);
  emulator.kms.createKey(KEY_PATH);
  emulator.gcs.createBucket(BUCKET);
  // A key file as `gcloud iam service-accounts keys create` writes it; token_uri points at the
  // emulator so that even an unexpected OAuth token exchange could never reach Google.
  const saJson = (privateKey: string): string =>
    JSON.stringify(
      {
        type: 'service_account',
        project_id: PROJECT,
        private_key_id: keyId,
        private_key: privateKey,
        client_email: CLIENT_EMAIL,
        client_id: '104729104729104729104',
        auth_uri: `${emulator.url}/o/oauth2/auth`,
        token_uri: `${emulator.url}/token`,
        universe_domain: 'googleapis.com',
      },
      null,
      2,
    );

  return {
    emulator,
    caPem: pki.caPem,
    mode: {
      googleKmsGcs: {
        kmsProject: PROJECT,
        kmsLocation: 'global',
        kmsKeyRing: 'vault',
        kmsCryptoKey: 'unseal',
        bucket: BUCKET,
        credentialSecretRef: { name: 'gcp-cred' },
      },
    },
    credentialSecretData: { 'sa.json': saJson(good.privateKey) },
    wrongCredentialSecretData: { 'sa.json': saJson(wrong.privateKey) },
    env: {
      STORAGE_EMULATOR_HOST: emulator.url,
      GOOGLE_KMS_ENDPOINT: emulator.url,
      NODE_EXTRA_CA_CERTS: caFile,
      // Never probe the GCE metadata server for credentials or a project.
      METADATA_SERVER_DETECTION: 'none',
    },
    async seed(name, plaintext) {
      const { ciphertext } = emulator.kms.encrypt(KEY_PATH, plaintext);
      emulator.gcs.put(BUCKET, name, ciphertext);
    },
    async read(name) {
      const obj = emulator.gcs.get(BUCKET, name);
      return obj === undefined ? undefined : emulator.kms.decrypt(KEY_PATH, obj.data);
    },
    names: () => emulator.gcs.names(BUCKET),
    writes: () => emulator.writes(),
    faults: emulator.faults,
    secretValues: () => [...pemBodyLines(good.privateKey), ...pemBodyLines(wrong.privateKey)],
    close: async () => {
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
