// awsKmsSsm unsealer mode, laid out exactly as the KubeVault unsealer writes it: KMS Encrypt with the
// encryption context {"Tool":"vault-unsealer"}, the ciphertext blob base64-encoded into an SSM
// `String` parameter named `ssmKeyPrefix + key`. Unlike the Go addon we do prepend ssmKeyPrefix,
// which is what the unsealer itself does (kubevault-model §4.3).
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { TaskError } from '../errors.ts';
import { registerSecret } from '../secrets.ts';
import { awsClientSettings } from './aws-clients.ts';
import { awsFailure, isDryRunSuccess, isRetryableAws } from './aws-errors.ts';
import { invalidSsmNames } from './aws-names.ts';
import { boundedCall, cloudDeadlines, deadlineFailure, type CloudDeadlines } from './cloud-call.ts';
import { requireSpec, specString, type CloudKeyStore, type CloudStoreOptions } from './cloud.ts';
import { requireValidNames, type WriteProof } from './store.ts';

const MODE = 'awsKmsSsm';
const CONTEXT = { Tool: 'vault-unsealer' };
// Encrypting a constant proves KMS access without changing anything (Encrypt has no side effects).
const PROBE = Buffer.from('vault-unsealer access check');
// SSM GetParameters accepts at most ten names per call.
const NAMES_PER_CALL = 10;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// What set() writes; a proof re-write sends the very same fields.
const TYPE = 'String';
const DESCRIPTION = 'vault-unsealer';

interface StoredParameter {
  value: string;
  type: string | undefined;
}

class AwsKmsSsmStore implements CloudKeyStore {
  readonly description: string;
  private readonly kms: KMSClient;
  private readonly ssm: SSMClient;
  private readonly region: string;
  private readonly keyId: string;
  private readonly prefix: string;
  private readonly where: string;
  private readonly deadlines: CloudDeadlines;

  constructor(
    clients: { kms: KMSClient; ssm: SSMClient },
    region: string,
    keyId: string,
    prefix: string,
    deadlines: CloudDeadlines,
  ) {
    this.kms = clients.kms;
    this.ssm = clients.ssm;
    this.region = region;
    this.keyId = keyId;
    this.prefix = prefix;
    this.deadlines = deadlines;
    this.description = `${MODE} region ${region} ssm prefix ${JSON.stringify(prefix)} kms ${keyId}`;
    this.where = `${MODE} (region ${region}, SSM prefix ${JSON.stringify(prefix)}, KMS key ${keyId})`;
  }

  private bounded<T>(signal: AbortSignal | undefined, call: (s: AbortSignal) => Promise<T>): Promise<T> {
    return boundedCall(this.deadlines, signal, isRetryableAws, call);
  }

  private fail(action: string, err: unknown, values: readonly string[] = []): TaskError {
    return deadlineFailure(this.where, action, err) ?? awsFailure(this.where, action, err, values);
  }

  invalidNames(names: readonly string[]): string[] {
    return invalidSsmNames(names, this.prefix, this.region);
  }

  // The parameters by full name; names AWS reports as invalid (missing) are absent.
  private async readParameters(
    names: readonly string[],
    action: string,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, StoredParameter>> {
    const out = new Map<string, StoredParameter>();
    for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
      const Names = names.slice(i, i + NAMES_PER_CALL).map((n) => this.prefix + n);
      try {
        const res = await this.bounded(signal, (abortSignal) =>
          this.ssm.send(new GetParametersCommand({ Names, WithDecryption: false }), { abortSignal }),
        );
        for (const p of res.Parameters ?? []) {
          if (p.Name !== undefined && p.Value !== undefined)
            out.set(p.Name, { value: p.Value, type: p.Type });
        }
      } catch (err) {
        throw this.fail(`${action} (SSM GetParameters)`, err);
      }
    }
    return out;
  }

  async get(name: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    requireValidNames(this, [name]);
    const action = `read ${name}`;
    const value = (await this.readParameters([name], action, signal)).get(this.prefix + name)?.value;
    if (value === undefined) return undefined;
    if (!STRICT_BASE64.test(value) || value === '') {
      throw new TaskError(
        'keys',
        `${this.where}: cannot ${action}: SSM parameter is not base64 KMS ciphertext`,
      );
    }
    try {
      const res = await this.bounded(signal, (abortSignal) =>
        this.kms.send(
          new DecryptCommand({
            CiphertextBlob: Buffer.from(value, 'base64'),
            KeyId: this.keyId,
            EncryptionContext: CONTEXT,
          }),
          { abortSignal },
        ),
      );
      const plaintext = Buffer.from(res.Plaintext ?? []);
      registerSecret(plaintext);
      return plaintext;
    } catch (err) {
      throw this.fail(`${action} (KMS Decrypt)`, err, [value]);
    }
  }

  async set(name: string, value: Buffer, signal?: AbortSignal): Promise<void> {
    requireValidNames(this, [name]);
    const action = `write ${name}`;
    const plainText = value.toString('utf8');
    let ciphertext: string;
    try {
      const res = await this.bounded(signal, (abortSignal) =>
        this.kms.send(
          new EncryptCommand({ KeyId: this.keyId, Plaintext: value, EncryptionContext: CONTEXT }),
          { abortSignal },
        ),
      );
      ciphertext = Buffer.from(res.CiphertextBlob ?? []).toString('base64');
    } catch (err) {
      throw this.fail(`${action} (KMS Encrypt)`, err, [plainText]);
    }
    await this.putParameter(name, ciphertext, `${action} (SSM PutParameter)`, signal, [
      plainText,
      ciphertext,
    ]);
  }

  // PutParameter with Overwrite: a second set replaces the value (a new version) instead of failing.
  private async putParameter(
    name: string,
    value: string,
    action: string,
    signal: AbortSignal | undefined,
    secrets: readonly string[],
  ): Promise<number | undefined> {
    try {
      const res = await this.bounded(signal, (abortSignal) =>
        this.ssm.send(
          new PutParameterCommand({
            Name: this.prefix + name,
            Value: value,
            Type: TYPE,
            Overwrite: true,
            Description: DESCRIPTION,
          }),
          { abortSignal },
        ),
      );
      return res.Version;
    } catch (err) {
      throw this.fail(action, err, secrets);
    }
  }

  // Nothing is changed: Encrypt only returns a blob, GetParameters only reads (missing names are fine).
  async checkAccess(names: readonly string[], signal?: AbortSignal): Promise<void> {
    requireValidNames(this, names);
    try {
      await this.bounded(signal, (abortSignal) =>
        this.kms.send(
          new EncryptCommand({ KeyId: this.keyId, Plaintext: PROBE, EncryptionContext: CONTEXT }),
          {
            abortSignal,
          },
        ),
      );
    } catch (err) {
      throw this.fail('use the KMS key (KMS Encrypt)', err);
    }
    // GetParameters needs at least one name; an absent probe name is as good as any.
    await this.readParameters(
      names.length > 0 ? names : ['vault-unsealer-dummy-file'],
      'read the keys',
      signal,
    );
  }

  // KMS: Encrypt with DryRun, the key and context set() uses, proves kms:Encrypt (key policy, IAM, grants,
  // context conditions) and encrypts nothing. SSM has no dry run, so the proof re-writes ONE existing target
  // parameter with its current value (same type, description and Overwrite as set()): its value is unchanged,
  // its version number goes up by one. Names that do not exist yet cannot be proven without creating them.
  // (A write by someone else between our read and the re-write would be undone; the window is one request.)
  async proveWritable(names: readonly string[], signal?: AbortSignal): Promise<WriteProof> {
    requireValidNames(this, names);
    const keys = names.join(', ');
    try {
      await this.bounded(signal, (abortSignal) =>
        this.kms.send(
          new EncryptCommand({
            KeyId: this.keyId,
            Plaintext: PROBE,
            EncryptionContext: CONTEXT,
            DryRun: true,
          }),
          { abortSignal },
        ),
      );
      // An endpoint that ignores DryRun encrypted for real, which changes nothing either.
    } catch (err) {
      if (!isDryRunSuccess(err)) throw this.fail(`write ${keys} (KMS Encrypt dry run)`, err);
    }
    const kmsProof = `KMS Encrypt dry run with key ${this.keyId} and the unsealer encryption context`;
    const stored = await this.readParameters(
      names,
      `prove write access to ${keys} (SSM GetParameters)`,
      signal,
    );
    const full = (n: string): string => this.prefix + n;
    const target = names.find((n) => stored.get(full(n))?.type === TYPE);
    if (target === undefined) {
      return {
        proven: kmsProof,
        unprovable:
          'ssm:PutParameter: SSM has no dry run and no target parameter exists as a String parameter to re-write with its own value; creating one would be visible',
      };
    }
    const current = stored.get(full(target))?.value ?? '';
    const version = await this.putParameter(
      target,
      current,
      `write ${target} (SSM PutParameter of its current value, proving write access)`,
      signal,
      [current],
    );
    const others = names.filter((n) => n !== target && stored.has(full(n))).map(full);
    const missing = names.filter((n) => !stored.has(full(n))).map(full);
    const gaps = [
      ...(others.length > 0
        ? [`${others.join(', ')} only insofar as IAM treats them like ${full(target)}`]
        : []),
      ...(missing.length > 0
        ? [`creating ${missing.join(', ')} (absent; a created parameter would be visible)`]
        : []),
    ];
    return {
      proven: `${kmsProof}; SSM PutParameter (Overwrite) of ${full(target)} with its current value${version === undefined ? '' : ` (now version ${version})`}`,
      ...(gaps.length > 0 ? { unprovable: `SSM has no dry run, so not proven: ${gaps.join('; ')}` } : {}),
    };
  }

  close(): Promise<void> {
    this.kms.destroy();
    this.ssm.destroy();
    return Promise.resolve();
  }
}

export async function openAwsKmsSsmStore(opts: CloudStoreOptions): Promise<CloudKeyStore> {
  requireSpec(MODE, opts.spec, ['kmsKeyID']);
  const deadlines = cloudDeadlines(opts.deadlines);
  const settings = awsClientSettings(opts.spec, opts.credentials, opts.env, deadlines);
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
    { kms, ssm },
    region,
    specString(opts.spec, 'kmsKeyID'),
    specString(opts.spec, 'ssmKeyPrefix'),
    deadlines,
  );
}
