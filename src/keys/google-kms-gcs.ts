// googleKmsGcs unsealer mode, laid out exactly as the KubeVault unsealer writes it (kubevault-model
// §4.3): Cloud KMS Encrypt of the plaintext (no AAD) with the mode's CryptoKey, and the RAW
// ciphertext bytes as the GCS object named exactly as the key (no prefix) in `bucket`. Like the Go
// addon, every KMS call carries CRC32C checksums and every answer's checksum is verified.
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { CRC32C, type Bucket } from '@google-cloud/storage';
import { TaskError } from '../errors.ts';
import { boundedCall, cloudDeadlines, deadlineFailure, type CloudDeadlines } from './cloud-call.ts';
import { requireSpec, specString, type CloudKeyStore, type CloudStoreOptions } from './cloud.ts';
import { MODE, googleEndpoints, openGoogleClients, serviceAccountKey } from './google-clients.ts';
import {
  googleError,
  isMissingBucket,
  isNotFound,
  isRetryableGoogle,
  type GoogleService,
} from './google-errors.ts';
import { invalidGcsNames } from './google-names.ts';
import { withSignal } from './google-signal.ts';
import { requireValidNames, type WriteProof } from './store.ts';

// Encrypting a constant proves KMS access without changing anything (Encrypt has no side effects).
const PROBE = Buffer.from('vault-unsealer access check');
// The name the unsealer's own write check uses; reading it changes nothing either.
const PROBE_OBJECT = 'vault-unsealer-dummy-file';
const CREATE = 'storage.objects.create';
// Replacing an existing object also needs the delete permission.
const DELETE = 'storage.objects.delete';

function crc32c(data: Uint8Array): number {
  const c = new CRC32C();
  c.update(Buffer.from(data));
  return c.valueOf() >>> 0;
}

// KMS answers Int64Value checksums as {value: "123"} (longs as strings, or a protobufjs Long);
// absent means unverifiable.
function checksum(v: { value?: unknown } | null | undefined): number | undefined {
  const raw = v?.value;
  let n: number;
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'bigint') n = Number(raw);
  else if (typeof raw === 'object' && raw !== null) n = Number((raw as { toString(): string }).toString());
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}

class GoogleKmsGcsStore implements CloudKeyStore {
  readonly description: string;
  private readonly kms: KeyManagementServiceClient;
  private readonly bucket: Bucket;
  private readonly keyPath: string;
  private readonly deadlines: CloudDeadlines;
  private credentialsLoaded: Promise<unknown> | undefined;

  constructor(kms: KeyManagementServiceClient, bucket: Bucket, keyPath: string, deadlines: CloudDeadlines) {
    this.kms = kms;
    this.bucket = bucket;
    this.keyPath = keyPath;
    this.deadlines = deadlines;
    this.description = `${MODE} gs://${bucket.name} kms ${keyPath}`;
  }

  private bounded<T>(signal: AbortSignal | undefined, call: (s: AbortSignal) => Promise<T>): Promise<T> {
    return boundedCall(this.deadlines, signal, isRetryableGoogle, call);
  }

  private fail(
    action: string,
    service: GoogleService,
    err: unknown,
    values: readonly string[] = [],
  ): TaskError {
    return (
      deadlineFailure(this.description, action, err) ??
      googleError(this.description, action, service, err, values)
    );
  }

  private corrupted(action: string, what: string): TaskError {
    return new TaskError('keys', `${this.description}: cannot ${action}: ${what} (corrupted in transit)`);
  }

  invalidNames(names: readonly string[]): string[] {
    return invalidGcsNames(names);
  }

  // Every KMS call rethrows a failed client start-up (no credentials found) as an unhandled
  // rejection (`initialize().catch(err => { throw err })`), which would end the task. So the
  // credentials are loaded first, once, and a failure is reported here instead.
  private async loadCredentials(kmsAction: string, signal: AbortSignal | undefined): Promise<void> {
    const loading = (this.credentialsLoaded ??= this.kms.auth.getClient());
    try {
      await this.bounded(signal, () => loading);
    } catch (err) {
      throw this.fail(kmsAction, 'kms', err);
    }
  }

  private async encrypt(action: string, plaintext: Buffer, signal: AbortSignal | undefined): Promise<Buffer> {
    const kmsAction = `${action} (KMS Encrypt)`;
    await this.loadCredentials(kmsAction, signal);
    let res;
    try {
      [res] = await this.bounded(signal, (s) =>
        withSignal(s, () =>
          this.kms.encrypt(
            { name: this.keyPath, plaintext, plaintextCrc32c: { value: crc32c(plaintext) } },
            { retry: null },
          ),
        ),
      );
    } catch (err) {
      throw this.fail(kmsAction, 'kms', err, [plaintext.toString('utf8')]);
    }
    if (res.verifiedPlaintextCrc32c !== true)
      throw this.corrupted(kmsAction, 'KMS did not verify the request checksum');
    const ciphertext = Buffer.from(res.ciphertext ?? []);
    if (ciphertext.length === 0 || checksum(res.ciphertextCrc32c) !== crc32c(ciphertext)) {
      throw this.corrupted(kmsAction, 'the ciphertext does not match its checksum');
    }
    return ciphertext;
  }

  private async decrypt(
    action: string,
    ciphertext: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<Buffer> {
    const kmsAction = `${action} (KMS Decrypt)`;
    await this.loadCredentials(kmsAction, signal);
    let res;
    try {
      [res] = await this.bounded(signal, (s) =>
        withSignal(s, () =>
          this.kms.decrypt(
            { name: this.keyPath, ciphertext, ciphertextCrc32c: { value: crc32c(ciphertext) } },
            { retry: null },
          ),
        ),
      );
    } catch (err) {
      throw this.fail(kmsAction, 'kms', err, [ciphertext.toString('base64')]);
    }
    const plaintext = Buffer.from(res.plaintext ?? []);
    if (checksum(res.plaintextCrc32c) !== crc32c(plaintext)) {
      throw this.corrupted(kmsAction, 'the plaintext does not match its checksum');
    }
    return plaintext;
  }

  async get(name: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    requireValidNames(this, [name]);
    const action = `read ${name}`;
    let ciphertext: Buffer;
    try {
      [ciphertext] = await this.bounded(signal, () => this.bucket.file(name).download());
    } catch (err) {
      if (isNotFound(err) && !isMissingBucket(err)) return undefined;
      throw this.fail(`${action} (GCS download)`, 'gcs', err);
    }
    return this.decrypt(action, ciphertext, signal);
  }

  async set(name: string, value: Buffer, signal?: AbortSignal): Promise<void> {
    requireValidNames(this, [name]);
    const action = `write ${name}`;
    const ciphertext = await this.encrypt(action, value, signal);
    try {
      await this.bounded(signal, () =>
        this.bucket
          .file(name)
          .save(ciphertext, { resumable: false, contentType: 'application/octet-stream' }),
      );
    } catch (err) {
      throw this.fail(`${action} (GCS upload)`, 'gcs', err, [value.toString('utf8')]);
    }
  }

  // How many of the named objects exist (a metadata read each; a missing one is fine).
  private async existing(names: readonly string[], signal: AbortSignal | undefined): Promise<string[]> {
    const found: string[] = [];
    for (const name of names) {
      try {
        await this.bounded(signal, () => this.bucket.file(name).getMetadata());
        found.push(name);
      } catch (err) {
        if (isNotFound(err) && !isMissingBucket(err)) continue;
        throw this.fail(`read ${name} (GCS object metadata)`, 'gcs', err);
      }
    }
    return found;
  }

  // Changes nothing: KMS Encrypt + Decrypt of a probe (the permissions a read needs) and a metadata read
  // of each key (missing is fine).
  async checkAccess(names: readonly string[], signal?: AbortSignal): Promise<void> {
    requireValidNames(this, names);
    const probe = await this.encrypt('use the KMS key', PROBE, signal);
    if (!(await this.decrypt('use the KMS key', probe, signal)).equals(PROBE)) {
      throw new TaskError('keys', `${this.description}: KMS Decrypt did not return the probe it encrypted`);
    }
    await this.existing(names.length > 0 ? names : [PROBE_OBJECT], signal);
  }

  // KMS: a real Encrypt of a probe with the CryptoKey set() uses (useToEncrypt; Encrypt has no side effect).
  // GCS has no dry-run upload: the bucket's testIamPermissions must grant storage.objects.create, and
  // storage.objects.delete too when an object is replaced. Nothing is written.
  async proveWritable(names: readonly string[], signal?: AbortSignal): Promise<WriteProof> {
    requireValidNames(this, names);
    const keys = names.join(', ');
    await this.encrypt(`write ${keys}`, PROBE, signal);
    const replaced = await this.existing(names, signal);
    const needed = replaced.length > 0 ? [CREATE, DELETE] : [CREATE];
    let granted: Record<string, boolean>;
    try {
      [granted] = await this.bounded(signal, () => this.bucket.iam.testPermissions(needed));
    } catch (err) {
      throw this.fail(`write ${keys} (GCS testIamPermissions)`, 'gcs', err);
    }
    const missing = needed.filter((p) => granted[p] !== true);
    if (missing.length > 0) {
      throw new TaskError(
        'keys',
        `${this.description}: cannot write ${keys}: permission denied (missing ${missing.join(', ')} on bucket ${this.bucket.name}, GCS testIamPermissions)`,
      );
    }
    const replacing =
      replaced.length > 0 ? ` (${replaced.length} of the objects exist and would be replaced)` : '';
    return {
      proven: `KMS Encrypt of a probe with ${this.keyPath}; bucket testIamPermissions grants ${needed.join(' and ')}${replacing}`,
      unprovable:
        'GCS has no dry-run upload: testIamPermissions reports IAM on the bucket only, not IAM conditions on object names, retention policies, object holds or organization policies that could still refuse the upload',
    };
  }

  async close(): Promise<void> {
    // The Storage client holds no connections of its own to close. The KMS client rethrows the
    // error that stopped it from starting (e.g. no credentials), which has been reported already.
    await this.kms.close().catch(() => undefined);
  }
}

function makeStore(opts: CloudStoreOptions): GoogleKmsGcsStore {
  const fields = ['kmsProject', 'kmsLocation', 'kmsKeyRing', 'kmsCryptoKey', 'bucket'] as const;
  requireSpec(MODE, opts.spec, fields);
  const [project, location, keyRing, cryptoKey, bucket] = fields.map((f) => specString(opts.spec, f));
  const key = opts.credentials === undefined ? undefined : serviceAccountKey(opts.credentials);
  const deadlines = cloudDeadlines(opts.deadlines);
  const clients = openGoogleClients(key, googleEndpoints(opts.env), deadlines);
  const keyPath = `projects/${project}/locations/${location}/keyRings/${keyRing}/cryptoKeys/${cryptoKey}`;
  return new GoogleKmsGcsStore(clients.kms, clients.storage.bucket(bucket ?? ''), keyPath, deadlines);
}

// Asynchronous like the other stores' openers: every failure arrives as a rejection.
export function openGoogleKmsGcsStore(opts: CloudStoreOptions): Promise<CloudKeyStore> {
  return new Promise((resolve) => resolve(makeStore(opts)));
}
