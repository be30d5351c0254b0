// CloudKeyFixture for the awsKmsSsm unsealer mode: one emulator, one access key pair and one KMS key.
// seed/read encode the documented layout (KMS Encrypt with {"Tool":"vault-unsealer"} → base64 →
// SSM String parameter `ssmKeyPrefix + name`) straight against the emulator's state, not via src/keys.
import { randomBytes } from 'node:crypto';
import type { CloudKeyFixture } from '../cloud/fixture.ts';
import { startAwsEmulator, type AwsEmulator } from './server.ts';

export const UNSEALER_CONTEXT = { Tool: 'vault-unsealer' };
export const KMS_ALIAS = 'alias/kubevault-unseal';

export interface AwsFixture extends CloudKeyFixture {
  emulator: AwsEmulator;
  kmsKeyID: string;
  ssmKeyPrefix: string;
}

export interface AwsFixtureOptions {
  ssmKeyPrefix?: string;
}

const randomText = (alphabet: string, n: number): string =>
  [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export async function startAwsFixture(options: AwsFixtureOptions = {}): Promise<AwsFixture> {
  const emulator = await startAwsEmulator('us-east-1');
  const accessKey = `AKIA${randomText(UPPER, 16)}`;
  const secretKey = randomText(SECRET, 40);
  const wrongSecretKey = randomText(SECRET, 40);
  emulator.addAccessKey(accessKey, secretKey);
  const kmsKeyID = emulator.kms.createKey(KMS_ALIAS);
  const ssmKeyPrefix = options.ssmKeyPrefix ?? '/kubevault/demo/';

  return {
    emulator,
    kmsKeyID,
    ssmKeyPrefix,
    mode: {
      awsKmsSsm: {
        kmsKeyID,
        region: emulator.region,
        ssmKeyPrefix,
        credentialSecretRef: { name: 'aws-cred' },
      },
    },
    credentialSecretData: { access_key: accessKey, secret_key: secretKey },
    wrongCredentialSecretData: { access_key: accessKey, secret_key: wrongSecretKey },
    env: {
      AWS_ENDPOINT_URL_KMS: emulator.url,
      AWS_ENDPOINT_URL_SSM: emulator.url,
      // Never fall back to the EC2 instance-metadata service when looking for credentials or region.
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    async seed(name, plaintext) {
      const { blob } = emulator.kms.encrypt(kmsKeyID, plaintext, UNSEALER_CONTEXT);
      emulator.ssm.put({
        name: ssmKeyPrefix + name,
        value: blob.toString('base64'),
        type: 'String',
        overwrite: true,
        description: 'vault-unsealer',
      });
    },
    async read(name) {
      const p = emulator.ssm.get(ssmKeyPrefix + name);
      if (p === undefined) return undefined;
      if (p.type !== 'String') throw new Error(`SSM parameter ${p.name} has type ${p.type}, want String`);
      return emulator.kms.decrypt(Buffer.from(p.value, 'base64'), UNSEALER_CONTEXT, kmsKeyID).plaintext;
    },
    names: () => emulator.ssm.names(),
    writes: () => emulator.writes(),
    faults: emulator.faults,
    secretValues: () => [secretKey],
    close: () => emulator.close(),
  };
}
