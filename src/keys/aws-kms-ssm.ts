// awsKmsSsm unsealer mode, laid out exactly as the KubeVault unsealer writes it: KMS Encrypt with the
// encryption context {"Tool":"vault-unsealer"}, the ciphertext blob base64-encoded into an SSM
// `String` parameter named `ssmKeyPrefix + key`. Unlike the Go addon we do prepend ssmKeyPrefix,
// which is what the unsealer itself does (kubevault-model §4.3).
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { TaskError } from '../errors.ts';
import { registerSecret } from '../secrets.ts';
import { awsClientSettings } from './aws-clients.ts';
import { awsFailure } from './aws-errors.ts';
import { requireSpec, specString, type CloudKeyStore, type CloudStoreOptions } from './cloud.ts';

const MODE = 'awsKmsSsm';
const CONTEXT = { Tool: 'vault-unsealer' };
// Encrypting a constant proves KMS access without changing anything (Encrypt has no side effects).
const PROBE = Buffer.from('vault-unsealer access check');
// SSM GetParameters accepts at most ten names per call.
const NAMES_PER_CALL = 10;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

class AwsKmsSsmStore implements CloudKeyStore {
  readonly description: string;
  private readonly kms: KMSClient;
  private readonly ssm: SSMClient;
  private readonly keyId: string;
  private readonly prefix: string;
  private readonly where: string;

  constructor(kms: KMSClient, ssm: SSMClient, region: string, keyId: string, prefix: string) {
    this.kms = kms;
    this.ssm = ssm;
    this.keyId = keyId;
    this.prefix = prefix;
    this.description = `${MODE} region ${region} ssm prefix ${JSON.stringify(prefix)} kms ${keyId}`;
    this.where = `${MODE} (region ${region}, SSM prefix ${JSON.stringify(prefix)}, KMS key ${keyId})`;
  }

  // Returns the parameter values by full name; names AWS reports as invalid (missing) are absent.
  private async readParameters(names: readonly string[], action: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
      const Names = names.slice(i, i + NAMES_PER_CALL).map((n) => this.prefix + n);
      try {
        const res = await this.ssm.send(new GetParametersCommand({ Names, WithDecryption: false }));
        for (const p of res.Parameters ?? []) {
          if (p.Name !== undefined && p.Value !== undefined) out.set(p.Name, p.Value);
        }
      } catch (err) {
        throw awsFailure(this.where, `${action} (SSM GetParameters)`, err);
      }
    }
    return out;
  }

  async get(name: string): Promise<Buffer | undefined> {
    const action = `read ${name}`;
    const value = (await this.readParameters([name], action)).get(this.prefix + name);
    if (value === undefined) return undefined;
    if (!STRICT_BASE64.test(value) || value === '') {
      throw new TaskError(
        'keys',
        `${this.where}: cannot ${action}: SSM parameter is not base64 KMS ciphertext`,
      );
    }
    try {
      const res = await this.kms.send(
        new DecryptCommand({
          CiphertextBlob: Buffer.from(value, 'base64'),
          KeyId: this.keyId,
          EncryptionContext: CONTEXT,
        }),
      );
      const plaintext = Buffer.from(res.Plaintext ?? []);
      registerSecret(plaintext);
      return plaintext;
    } catch (err) {
      throw awsFailure(this.where, `${action} (KMS Decrypt)`, err, [value]);
    }
  }

  async set(name: string, value: Buffer): Promise<void> {
    const action = `write ${name}`;
    const plainText = value.toString('utf8');
    let ciphertext: string;
    try {
      const res = await this.kms.send(
        new EncryptCommand({ KeyId: this.keyId, Plaintext: value, EncryptionContext: CONTEXT }),
      );
      ciphertext = Buffer.from(res.CiphertextBlob ?? []).toString('base64');
    } catch (err) {
      throw awsFailure(this.where, `${action} (KMS Encrypt)`, err, [plainText]);
    }
    try {
      await this.ssm.send(
        new PutParameterCommand({
          Name: this.prefix + name,
          Value: ciphertext,
          Type: 'String',
          Overwrite: true,
          Description: 'vault-unsealer',
        }),
      );
    } catch (err) {
      throw awsFailure(this.where, `${action} (SSM PutParameter)`, err, [plainText, ciphertext]);
    }
  }

  // Nothing is changed: Encrypt only returns a blob, GetParameters only reads (missing names are fine).
  async checkAccess(names: readonly string[]): Promise<void> {
    try {
      await this.kms.send(
        new EncryptCommand({ KeyId: this.keyId, Plaintext: PROBE, EncryptionContext: CONTEXT }),
      );
    } catch (err) {
      throw awsFailure(this.where, 'use the KMS key (KMS Encrypt)', err);
    }
    // GetParameters needs at least one name; an absent probe name is as good as any.
    await this.readParameters(names.length > 0 ? names : ['vault-unsealer-dummy-file'], 'read the keys');
  }

  close(): Promise<void> {
    this.kms.destroy();
    this.ssm.destroy();
    return Promise.resolve();
  }
}

export async function openAwsKmsSsmStore(opts: CloudStoreOptions): Promise<CloudKeyStore> {
  requireSpec(MODE, opts.spec, ['kmsKeyID']);
  const settings = awsClientSettings(opts.spec, opts.credentials, opts.env);
  const kms = new KMSClient({
    ...settings.common,
    ...(settings.kmsEndpoint === undefined ? {} : { endpoint: settings.kmsEndpoint }),
  });
  const ssm = new SSMClient({
    ...settings.common,
    ...(settings.ssmEndpoint === undefined ? {} : { endpoint: settings.ssmEndpoint }),
  });
  let region: string;
  try {
    // Without spec.region or AWS_REGION the SDK's own chain (shared config file) decides.
    region = await kms.config.region();
  } catch {
    kms.destroy();
    ssm.destroy();
    throw new TaskError('config', `unsealer mode ${MODE} has no region: set spec.region or AWS_REGION`);
  }
  return new AwsKmsSsmStore(
    kms,
    ssm,
    region,
    specString(opts.spec, 'kmsKeyID'),
    specString(opts.spec, 'ssmKeyPrefix'),
  );
}
