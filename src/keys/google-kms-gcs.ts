// googleKmsGcs unsealer mode, laid out exactly as the KubeVault unsealer writes it (kubevault-model
// §4.3): Cloud KMS Encrypt of the plaintext (no AAD) with the mode's CryptoKey, and the RAW
// ciphertext bytes as the GCS object named exactly as the key (no prefix) in `bucket`. Like the Go
// addon, every KMS call carries CRC32C checksums and every answer's checksum is verified.
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { CRC32C, type Bucket } from '@google-cloud/storage';
import { TaskError } from '../errors.ts';
import { requireSpec, specString, type CloudKeyStore, type CloudStoreOptions } from './cloud.ts';
import { MODE, googleEndpoints, openGoogleClients, serviceAccountKey } from './google-clients.ts';
import { attempt, googleError, isMissingBucket, isNotFound } from './google-errors.ts';

// Encrypting a constant proves KMS access without changing anything (Encrypt has no side effects).
const PROBE = Buffer.from('vault-unsealer access check');
// The name the unsealer's own write check uses; reading it changes nothing either.
const PROBE_OBJECT = 'vault-unsealer-dummy-file';

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
  private credentialsLoaded: Promise<unknown> | undefined;

  constructor(kms: KeyManagementServiceClient, bucket: Bucket, keyPath: string) {
    this.kms = kms;
    this.bucket = bucket;
    this.keyPath = keyPath;
    this.description = `${MODE} gs://${bucket.name} kms ${keyPath}`;
  }

  private corrupted(action: string, what: string): TaskError {
    return new TaskError('keys', `${this.description}: cannot ${action}: ${what} (corrupted in transit)`);
  }

  // Every KMS call rethrows a failed client start-up (no credentials found) as an unhandled
  // rejection (`initialize().catch(err => { throw err })`), which would end the task. So the
  // credentials are loaded first, once, and a failure is reported here instead.
  private async loadCredentials(kmsAction: string): Promise<void> {
    this.credentialsLoaded ??= this.kms.auth.getClient();
    try {
      await this.credentialsLoaded;
    } catch (err) {
      throw googleError(this.description, kmsAction, 'kms', err);
    }
  }

  private async encrypt(action: string, plaintext: Buffer): Promise<Buffer> {
    const kmsAction = `${action} (KMS Encrypt)`;
    await this.loadCredentials(kmsAction);
    let res;
    try {
      [res] = await attempt(() =>
        this.kms.encrypt(
          { name: this.keyPath, plaintext, plaintextCrc32c: { value: crc32c(plaintext) } },
          { retry: null },
        ),
      );
    } catch (err) {
      throw googleError(this.description, kmsAction, 'kms', err, [plaintext.toString('utf8')]);
    }
    if (res.verifiedPlaintextCrc32c !== true)
      throw this.corrupted(kmsAction, 'KMS did not verify the request checksum');
    const ciphertext = Buffer.from(res.ciphertext ?? []);
    if (ciphertext.length === 0 || checksum(res.ciphertextCrc32c) !== crc32c(ciphertext)) {
      throw this.corrupted(kmsAction, 'the ciphertext does not match its checksum');
    }
    return ciphertext;
  }

  private async decrypt(action: string, ciphertext: Buffer): Promise<Buffer> {
    const kmsAction = `${action} (KMS Decrypt)`;
    await this.loadCredentials(kmsAction);
    let res;
    try {
      [res] = await attempt(() =>
        this.kms.decrypt(
          { name: this.keyPath, ciphertext, ciphertextCrc32c: { value: crc32c(ciphertext) } },
          { retry: null },
        ),
      );
    } catch (err) {
      throw googleError(this.description, kmsAction, 'kms', err, [ciphertext.toString('base64')]);
    }
    const plaintext = Buffer.from(res.plaintext ?? []);
    if (checksum(res.plaintextCrc32c) !== crc32c(plaintext)) {
      throw this.corrupted(kmsAction, 'the plaintext does not match its checksum');
    }
    return plaintext;
  }

  async get(name: string): Promise<Buffer | undefined> {
    const action = `read ${name}`;
    let ciphertext: Buffer;
    try {
      [ciphertext] = await attempt(() => this.bucket.file(name).download());
    } catch (err) {
      if (isNotFound(err) && !isMissingBucket(err)) return undefined;
      throw googleError(this.description, `${action} (GCS download)`, 'gcs', err);
    }
    return this.decrypt(action, ciphertext);
  }

  async set(name: string, value: Buffer): Promise<void> {
    const action = `write ${name}`;
    const ciphertext = await this.encrypt(action, value);
    try {
      await attempt(() =>
        this.bucket
          .file(name)
          .save(ciphertext, { resumable: false, contentType: 'application/octet-stream' }),
      );
    } catch (err) {
      throw googleError(this.description, `${action} (GCS upload)`, 'gcs', err, [value.toString('utf8')]);
    }
  }

  // Changes nothing: KMS Encrypt + Decrypt of a probe (the permissions a read and a write need), a
  // metadata read of each key (missing is fine), and GCS testIamPermissions for what set() needs,
  // so a force restore learns before touching Vault that it could not store the old keys.
  async checkAccess(names: readonly string[]): Promise<void> {
    const probe = await this.encrypt('use the KMS key', PROBE);
    if (!(await this.decrypt('use the KMS key', probe)).equals(PROBE)) {
      throw new TaskError('keys', `${this.description}: KMS Decrypt did not return the probe it encrypted`);
    }
    let existing = 0;
    for (const name of names.length > 0 ? names : [PROBE_OBJECT]) {
      try {
        await attempt(() => this.bucket.file(name).getMetadata());
        existing += 1;
      } catch (err) {
        if (isNotFound(err) && !isMissingBucket(err)) continue;
        throw googleError(this.description, `read ${name} (GCS object metadata)`, 'gcs', err);
      }
    }
    // Replacing an existing object also needs storage.objects.delete.
    const needed =
      existing > 0 ? ['storage.objects.create', 'storage.objects.delete'] : ['storage.objects.create'];
    let granted: Record<string, boolean>;
    try {
      [granted] = await attempt(() => this.bucket.iam.testPermissions(needed));
    } catch (err) {
      throw googleError(this.description, 'check write access (GCS testIamPermissions)', 'gcs', err);
    }
    const missing = needed.filter((p) => granted[p] !== true);
    if (missing.length > 0) {
      throw new TaskError(
        'keys',
        `${this.description}: cannot write the keys: permission denied (missing ${missing.join(', ')} on the bucket)`,
      );
    }
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
  const clients = openGoogleClients(key, googleEndpoints(opts.env));
  const keyPath = `projects/${project}/locations/${location}/keyRings/${keyRing}/cryptoKeys/${cryptoKey}`;
  return new GoogleKmsGcsStore(clients.kms, clients.storage.bucket(bucket ?? ''), keyPath);
}

// Asynchronous like the other stores' openers: every failure arrives as a rejection.
export function openGoogleKmsGcsStore(opts: CloudStoreOptions): Promise<CloudKeyStore> {
  return new Promise((resolve) => resolve(makeStore(opts)));
}
