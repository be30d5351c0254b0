// The googleKmsGcs store through the real @google-cloud/kms and @google-cloud/storage SDKs against
// the loopback emulator (HTTPS with a test CA), checked against the emulator's own view of the
// documented layout: object named exactly as the key, body = raw KMS ciphertext.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { TaskError } from '../../src/errors.ts';
import type { CloudDeadlines } from '../../src/keys/cloud-call.ts';
import type { CloudKeyStore } from '../../src/keys/cloud.ts';
import { openGoogleKmsGcsStore } from '../../src/keys/google-kms-gcs.ts';
import {
  BUCKET,
  CLIENT_EMAIL,
  KEY_PATH,
  startGoogleFixture,
  type GoogleFixture,
} from '../emulators/google/fixture.ts';

const PREFIX = 'k8s.kubevault.com.demo.vault';
const KEY0 = `${PREFIX}-unseal-key-0`;
const TOKEN = `${PREFIX}-root-token`;

// Every outgoing TCP connection attempt of this process: nothing may leave the loopback.
const attempts: string[] = [];
const onSocket = (msg: unknown): void => {
  (msg as { socket: Socket }).socket.on('connectionAttempt', (ip: string, port: number) =>
    attempts.push(`${ip}:${port}`),
  );
};
subscribe('net.client.socket', onSocket);

// Library promises nobody observes would end the CLI (Node exits on an unhandled rejection).
const unhandled: unknown[] = [];
process.on('unhandledRejection', (err) => unhandled.push(err));

// NODE_EXTRA_CA_CERTS is read at process start; in-process, add each fixture's CA to the default store.
function trust(f: GoogleFixture): void {
  setDefaultCACertificates([...getCACertificates('default'), f.caPem]);
}

const bytes = (data: Record<string, string>): Record<string, Buffer> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));

function spec(f: GoogleFixture): Record<string, unknown> {
  return f.mode['googleKmsGcs'] as Record<string, unknown>;
}

async function open(
  f: GoogleFixture,
  // 'ambient': no credential secret at all.
  credentials: Record<string, string> | 'ambient' = f.credentialSecretData,
  specOverride: Record<string, unknown> = {},
  deadlines?: Partial<CloudDeadlines>,
): Promise<CloudKeyStore> {
  return openGoogleKmsGcsStore({
    namespace: 'demo',
    spec: { ...spec(f), ...specOverride },
    credentials: credentials === 'ambient' ? undefined : bytes(credentials),
    env: f.env,
    ...(deadlines === undefined ? {} : { deadlines }),
  });
}

async function rejection(p: Promise<unknown>): Promise<TaskError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof TaskError, `expected a TaskError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

function assertNoSecrets(f: GoogleFixture, text: string, values: Buffer[] = []): void {
  for (const s of f.secretValues()) assert.ok(!text.includes(s), 'a private key line leaked');
  assert.ok(!text.includes('PRIVATE KEY'), 'a private key leaked');
  for (const v of values) {
    assert.ok(!text.includes(v.toString('utf8')), 'a value leaked');
    assert.ok(!text.includes(v.toString('base64')), 'a value leaked (base64)');
  }
}

const STORE_MODULE = pathToFileURL(join(import.meta.dirname, '../../src/keys/google-kms-gcs.ts')).href;
// Opens the store in a fresh Node process whose environment is the fixture's, as the CLI child of
// the end-to-end tests gets it: CA trust only via NODE_EXTRA_CA_CERTS, endpoints in process.env.
const CHILD = `
import { openGoogleKmsGcsStore } from ${JSON.stringify(STORE_MODULE)};
const input = JSON.parse(await new Response(process.stdin).text());
const credentials = { 'sa.json': Buffer.from(input.saJson) };
const store = await openGoogleKmsGcsStore({ namespace: 'demo', spec: input.spec, credentials, env: process.env });
try {
  await store.checkAccess([input.name]);
  await store.set(input.name, Buffer.from(input.value, 'base64'));
  const back = await store.get(input.name);
  process.stdout.write(JSON.stringify({ ok: true, back: back?.toString('base64') }));
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, code: err.code, message: err.message }));
} finally {
  await store.close();
}
`;

async function inChild(
  f: GoogleFixture,
  env: Record<string, string>,
  name: string,
  value: Buffer,
): Promise<{ ok: boolean; back?: string; code?: string; message?: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(
    JSON.stringify({
      saJson: f.credentialSecretData['sa.json'],
      spec: spec(f),
      name,
      value: value.toString('base64'),
    }),
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `child failed: ${err}`);
  return JSON.parse(out) as { ok: boolean; back?: string; code?: string; message?: string };
}

describe('googleKmsGcs key store', () => {
  let f: GoogleFixture;
  let store: CloudKeyStore;
  before(async () => {
    f = await startGoogleFixture();
    trust(f);
    store = await open(f);
  });
  after(async () => {
    await store.close?.();
    await f.close();
    unsubscribe('net.client.socket', onSocket);
  });

  test('description names the mode, bucket and KMS key', () => {
    assert.equal(store.description, `googleKmsGcs gs://${BUCKET} kms ${KEY_PATH}`);
  });

  test('set writes the raw KMS ciphertext to an object named exactly as the key', async () => {
    const value = Buffer.from('7f3a9c0e5d1b2a4f6e8c0b9d7a5f3e1c2b4d6f8a0c9e7b5d3f1a2c4e6b8d0f9a7c');
    const writes = f.writes();
    await store.set(KEY0, value);
    assert.equal(f.writes(), writes + 1);
    assert.deepEqual(f.names(), [KEY0]);
    const body = f.emulator.gcs.get(BUCKET, KEY0)?.data;
    assert.ok(body !== undefined);
    // The body is ciphertext, not the value, not base64 text: the emulator's KMS opens it as is.
    assert.ok(!body.includes(value));
    assert.ok(!/^[A-Za-z0-9+/=\s]*$/.test(body.toString('latin1')), 'the object body is base64 text');
    assert.deepEqual(f.emulator.kms.decrypt(KEY_PATH, body), value);
    assert.deepEqual(await f.read(KEY0), value);
    // Every call was authenticated as the service account from sa.json, on a known route.
    for (const r of f.emulator.requests()) {
      assert.equal(r.email, CLIENT_EMAIL, `${r.method} ${r.path}`);
      assert.notEqual(r.api, 'unknown', `${r.method} ${r.path}`);
    }
  });

  test('a value seeded by the independent encoder is read back', async () => {
    const token = Buffer.from('hvs.CAESIJ3q8l0s7YkWm2Xy5FJ0kqgN');
    await f.seed(TOKEN, token);
    assert.deepEqual(await store.get(TOKEN), token);
  });

  test('a missing key reads as undefined', async () => {
    assert.equal(await store.get(`${PREFIX}-unseal-key-4`), undefined);
  });

  test('arbitrary bytes round-trip', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const random = randomBytes(4096);
    for (const [name, value] of [
      ['bytes-all', all],
      ['bytes-random', random],
    ] as const) {
      await store.set(name, value);
      assert.deepEqual(await f.read(name), value);
      assert.deepEqual(await store.get(name), value);
    }
  });

  test('overwriting a key replaces its value', async () => {
    await store.set('overwrite-me', Buffer.from('first-value'));
    await store.set('overwrite-me', Buffer.from('second-value'));
    assert.deepEqual(await store.get('overwrite-me'), Buffer.from('second-value'));
  });

  test('an object encrypted with another KMS key is refused, not returned', async () => {
    const other = KEY_PATH.replace(/unseal$/, 'other');
    f.emulator.kms.createKey(other);
    f.emulator.gcs.put(
      BUCKET,
      'foreign',
      f.emulator.kms.encrypt(other, Buffer.from('foreign-value')).ciphertext,
    );
    const err = await rejection(store.get('foreign'));
    assert.equal(err.code, 'keys');
    assert.match(err.message, /cannot read foreign \(KMS Decrypt\): cannot decrypt/);
    assert.match(err.message, /INVALID_ARGUMENT/);
  });

  test('a wrong private key is rejected, names the store and key, and writes nothing', async () => {
    const wrong = await open(f, f.wrongCredentialSecretData);
    const value = Buffer.from('0123456789abcdef0123456789abcdef');
    const writes = f.writes();
    const started = Date.now();
    try {
      const err = await rejection(wrong.set(KEY0, value));
      assert.ok(Date.now() - started < 5000, 'failed fast');
      assert.equal(err.code, 'keys');
      assert.match(err.message, /^googleKmsGcs /);
      assert.ok(err.message.includes(`gs://${BUCKET}`), err.message);
      assert.ok(err.message.includes(KEY_PATH), err.message);
      assert.ok(err.message.includes(KEY0), err.message);
      assert.match(err.message, /credentials rejected/);
      assert.match(err.message, /UNAUTHENTICATED/);
      assertNoSecrets(f, err.message, [value]);
      assert.equal(err.cause, undefined, 'the SDK error (with request config) is not kept');
      assert.equal(f.writes(), writes, 'nothing was written');

      const readErr = await rejection(wrong.get(TOKEN));
      assert.match(
        readErr.message,
        new RegExp(`googleKmsGcs .*cannot read ${TOKEN.replace(/\./g, '\\.')} .*credentials rejected`),
      );
      assertNoSecrets(f, readErr.message);
    } finally {
      await wrong.close?.();
    }
  });

  test('checkAccess passes with good credentials, existing and missing keys alike', async () => {
    const writes = f.writes();
    const names = f.names();
    await store.checkAccess([KEY0, `${PREFIX}-unseal-key-9`]);
    await store.checkAccess([]);
    assert.equal(f.writes(), writes, 'checkAccess wrote nothing');
    assert.deepEqual(f.names(), names);
  });

  test('checkAccess fails on a wrong private key', async () => {
    const wrong = await open(f, f.wrongCredentialSecretData);
    try {
      const err = await rejection(wrong.checkAccess([KEY0]));
      assert.equal(err.code, 'keys');
      assert.match(err.message, /googleKmsGcs[^]*credentials rejected/);
      assertNoSecrets(f, err.message);
    } finally {
      await wrong.close?.();
    }
  });

  test('a missing bucket fails checkAccess and get instead of reading as "no keys"', async () => {
    const s = await open(f, f.credentialSecretData, { bucket: 'no-such-bucket' });
    try {
      const started = Date.now();
      const err = await rejection(s.checkAccess([KEY0]));
      assert.ok(Date.now() - started < 5000, 'failed fast');
      assert.match(err.message, /gs:\/\/no-such-bucket[^]*bucket does not exist/);
      const getErr = await rejection(s.get(KEY0));
      assert.match(getErr.message, /cannot read .*bucket does not exist/);
    } finally {
      await s.close?.();
    }
  });

  test('a missing KMS key fails checkAccess', async () => {
    const s = await open(f, f.credentialSecretData, { kmsCryptoKey: 'no-such-key' });
    try {
      const err = await rejection(s.checkAccess([KEY0]));
      assert.match(
        err.message,
        /cryptoKeys\/no-such-key: cannot use the KMS key \(KMS Encrypt\): KMS key not found/,
      );
    } finally {
      await s.close?.();
    }
  });

  test('a store configured via STORAGE_EMULATOR_HOST in process.env still uses the /storage/v1 API', async () => {
    process.env['STORAGE_EMULATOR_HOST'] = f.env['STORAGE_EMULATOR_HOST'];
    let s: CloudKeyStore;
    try {
      s = await open(f);
    } finally {
      delete process.env['STORAGE_EMULATOR_HOST'];
    }
    const before = f.emulator.requests().length;
    try {
      await s.set('via-env', Buffer.from('via-env-value'));
      assert.deepEqual(await s.get('via-env'), Buffer.from('via-env-value'));
      const paths = f.emulator
        .requests()
        .slice(before)
        .map((r) => r.path);
      assert.ok(
        paths.some((p) => p.startsWith('/storage/v1/b/')),
        paths.join(' '),
      );
      for (const p of paths) assert.match(p, /^\/(v1|storage\/v1|upload\/storage\/v1)\//);
    } finally {
      await s.close?.();
    }
  });

  test('a child process with only the fixture env (NODE_EXTRA_CA_CERTS) verifies TLS and round-trips', async () => {
    const value = randomBytes(48);
    const res = await inChild(f, f.env, 'child-key', value);
    assert.deepEqual(res, { ok: true, back: value.toString('base64') });
    assert.deepEqual(await f.read('child-key'), value);
    // Without the test CA the emulator's certificate is refused: TLS is really verified.
    const { NODE_EXTRA_CA_CERTS: _ca, ...untrusted } = f.env;
    const bad = await inChild(f, untrusted, 'child-key-2', value);
    assert.equal(bad.ok, false);
    assert.equal(bad.code, 'keys');
    assert.match(bad.message ?? '', /TLS certificate is not trusted/);
    assert.equal(f.emulator.gcs.get(BUCKET, 'child-key-2'), undefined);
  });

  test('nothing tried to reach a host other than the emulator', () => {
    const port = new URL(f.emulator.url).port;
    assert.ok(attempts.length > 0, 'connection attempts were observed');
    for (const a of attempts) assert.equal(a, `127.0.0.1:${port}`);
  });
});

describe('googleKmsGcs integrity checks', () => {
  let f: GoogleFixture;
  let store: CloudKeyStore;
  before(async () => {
    f = await startGoogleFixture();
    trust(f);
    store = await open(f);
    await f.seed(KEY0, Buffer.from('seeded-unseal-key'));
  });
  after(async () => {
    await store.close?.();
    await f.close();
  });

  test('a wrong plaintextCrc32c in the Decrypt answer is detected', async () => {
    assert.deepEqual(await store.get(KEY0), Buffer.from('seeded-unseal-key'));
    f.emulator.faults.wrongPlaintextCrc32c = true;
    try {
      const err = await rejection(store.get(KEY0));
      assert.equal(err.code, 'keys');
      assert.match(err.message, /cannot read .*-unseal-key-0 \(KMS Decrypt\): .*corrupted in transit/);
      assert.ok(!err.message.includes('seeded-unseal-key'));
    } finally {
      f.emulator.faults.wrongPlaintextCrc32c = false;
    }
  });

  test('a wrong ciphertextCrc32c in the Encrypt answer stops the write', async () => {
    f.emulator.faults.wrongCiphertextCrc32c = true;
    const writes = f.writes();
    try {
      const err = await rejection(store.set('crc-check', Buffer.from('crc-check-value')));
      assert.match(err.message, /cannot write crc-check \(KMS Encrypt\): .*corrupted in transit/);
      assert.equal(f.writes(), writes);
    } finally {
      f.emulator.faults.wrongCiphertextCrc32c = false;
    }
  });

  test('an Encrypt answer that did not verify our plaintextCrc32c stops the write', async () => {
    f.emulator.faults.unverifiedPlaintextCrc32c = true;
    const writes = f.writes();
    try {
      const err = await rejection(store.set('crc-check', Buffer.from('crc-check-value')));
      assert.match(err.message, /did not verify the request checksum/);
      assert.equal(f.writes(), writes);
    } finally {
      f.emulator.faults.unverifiedPlaintextCrc32c = false;
    }
  });

  test('a denied permission reads as "permission denied"', async () => {
    f.emulator.deny('storage.objects.create');
    const writes = f.writes();
    await store.checkAccess([KEY0]);
    const err = await rejection(store.proveWritable([KEY0]));
    assert.match(err.message, /googleKmsGcs[^]*permission denied[^]*storage\.objects\.create/);
    const setErr = await rejection(store.set('denied', Buffer.from('denied-value')));
    assert.match(
      setErr.message,
      /cannot write denied \(GCS upload\): permission denied \(PERMISSION_DENIED \(HTTP 403\)/,
    );
    assert.equal(f.names().includes('denied'), false);
    assert.equal(f.writes(), writes + 1, 'only the refused upload reached the emulator');
  });
});

describe('googleKmsGcs configuration', () => {
  let f: GoogleFixture;
  before(async () => {
    f = await startGoogleFixture();
    trust(f);
  });
  after(async () => f.close());

  test('a credential secret without sa.json is a config error', async () => {
    const err = await rejection(open(f, { 'key.json': 'x' }));
    assert.equal(err.code, 'config');
    assert.match(err.message, /googleKmsGcs: credential secret has no sa\.json/);
  });

  test('an unreadable sa.json is a config error that does not quote it', async () => {
    const secretish = 'not-json-but-secret-looking-text';
    const err = await rejection(open(f, { 'sa.json': secretish }));
    assert.equal(err.code, 'config');
    assert.match(err.message, /sa\.json .*not valid JSON/);
    assert.ok(!err.message.includes(secretish));
    const noKey = await rejection(open(f, { 'sa.json': JSON.stringify({ client_email: CLIENT_EMAIL }) }));
    assert.match(noKey.message, /sa\.json has no private_key/);
  });

  test('every spec field is required', async () => {
    const err = await rejection(open(f, f.credentialSecretData, { kmsKeyRing: '', bucket: undefined }));
    assert.equal(err.code, 'config');
    assert.match(err.message, /googleKmsGcs has no kmsKeyRing, bucket/);
  });

  test('a malformed endpoint override is a config error', async () => {
    const err = await rejection(
      openGoogleKmsGcsStore({
        namespace: 'demo',
        spec: spec(f),
        credentials: bytes(f.credentialSecretData),
        env: { ...f.env, GOOGLE_KMS_ENDPOINT: 'https://127.0.0.1:1/some/path' },
      }),
    );
    assert.match(err.message, /GOOGLE_KMS_ENDPOINT must not have a path/);
  });

  test('without a credential secret, missing ambient credentials are reported as such', async () => {
    const saved = { ...process.env };
    const home = mkdtempSync(join(tmpdir(), 'no-gcloud-'));
    // No key file, no gcloud config, no metadata server: Application Default Credentials find nothing.
    delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
    process.env['HOME'] = home;
    process.env['METADATA_SERVER_DETECTION'] = 'none';
    const s = await open(f, 'ambient');
    try {
      const requests = f.emulator.requests().length;
      const err = await rejection(s.checkAccess([KEY0]));
      assert.equal(err.code, 'keys');
      assert.match(
        err.message,
        /no credentials \(no credential secret and no Application Default Credentials\)/,
      );
      assert.equal(f.emulator.requests().length, requests, 'no request was sent without credentials');
      const getErr = await rejection(s.get(KEY0));
      assert.match(getErr.message, /cannot read .*: no credentials \(no credential secret/);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(unhandled, [], 'no unhandled rejection');
    } finally {
      await s.close?.();
      process.env = saved;
      rmSync(home, { recursive: true, force: true });
    }
  });
});

// Deadlines short enough for a test: two attempts of 150 ms, 600 ms in all.
const SHORT = { attemptMs: 150, attempts: 2, backoffMs: 20, totalMs: 600 };
const KEYS = [TOKEN, KEY0, `${PREFIX}-unseal-key-1`];
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('googleKmsGcs names, bytes, write proofs and deadlines', () => {
  let f: GoogleFixture;
  let store: CloudKeyStore;
  before(async () => {
    f = await startGoogleFixture();
    trust(f);
    store = await open(f);
  });
  after(async () => {
    await store.close?.();
    await f.close();
  });

  test('invalidNames applies the GCS object naming rules', () => {
    assert.deepEqual(store.invalidNames([...KEYS, 'a/b/c', 'ключ', 'x'.repeat(1024), 'é'.repeat(512)]), []);
    assert.deepEqual(store.invalidNames(['', '.', '..', 'a\nb', 'a\rb', '.well-known/acme-challenge/x']), [
      ': GCS object names cannot be empty',
      '.: GCS object names cannot be "."',
      '..: GCS object names cannot be ".."',
      'a\nb: GCS object names cannot contain a carriage return or line feed',
      'a\rb: GCS object names cannot contain a carriage return or line feed',
      '.well-known/acme-challenge/x: GCS object names cannot begin with ".well-known/acme-challenge/"',
    ]);
    assert.deepEqual(store.invalidNames(['x'.repeat(1025), `${'é'.repeat(512)}x`]), [
      `${'x'.repeat(1025)}: GCS object names are at most 1024 bytes of UTF-8; this one is 1025`,
      `${'é'.repeat(512)}x: GCS object names are at most 1024 bytes of UTF-8; this one is 1025`,
    ]);
    assert.deepEqual(store.invalidNames(['a\uD800b']), [
      'a\uD800b: the name is not valid Unicode, so it has no UTF-8 form',
    ]);
  });

  test('get and set refuse a name GCS cannot hold as a config error, before any request', async () => {
    const sent = f.emulator.requests().length;
    for (const p of [store.get('..'), store.set('..', Buffer.from('v'))]) {
      const err = await rejection(p);
      assert.equal(err.code, 'config');
      assert.match(err.message, /cannot hold these key names: \.\.: GCS object names cannot be "\.\."/);
    }
    assert.equal(f.emulator.requests().length, sent);
  });

  test('keys are bytes: non-UTF-8 values and trailing newlines survive set → get and the layout decoder', async () => {
    const values = [
      Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x80, 0x0a]),
      Buffer.from('3f9a\n\n'),
      Buffer.from('\n'),
      Buffer.from(' hvs.token \r\n'),
    ];
    for (const [i, value] of values.entries()) {
      await store.set(`bytes-${i}`, value);
      assert.deepEqual(await store.get(`bytes-${i}`), value, `store round trip ${i}`);
      assert.deepEqual(await f.read(`bytes-${i}`), value, `fixture decoder ${i}`);
    }
    await f.seed('seeded-bytes', values[0]!);
    assert.deepEqual(await store.get('seeded-bytes'), values[0]);
  });

  test('proveWritable: a real KMS Encrypt and the bucket testIamPermissions; nothing is written', async () => {
    const fresh = await proofOf(['fresh-a', 'fresh-b']);
    assert.equal(
      fresh.proof.proven,
      `KMS Encrypt of a probe with ${KEY_PATH}; bucket testIamPermissions grants storage.objects.create`,
    );
    assert.match(
      fresh.proof.unprovable ?? '',
      /^GCS has no dry-run upload: testIamPermissions reports IAM on the bucket only/,
    );
    assert.deepEqual(fresh.paths, [
      `/v1/${KEY_PATH}:encrypt`,
      '/storage/v1/b/vault-keys/o/fresh-a',
      '/storage/v1/b/vault-keys/o/fresh-b',
      '/storage/v1/b/vault-keys/iam/testPermissions',
    ]);
    await f.seed(KEY0, Buffer.from('existing'));
    const replacing = await proofOf(KEYS);
    assert.equal(
      replacing.proof.proven,
      `KMS Encrypt of a probe with ${KEY_PATH}; bucket testIamPermissions grants storage.objects.create and storage.objects.delete (1 of the objects exist and would be replaced)`,
    );
    assert.deepEqual(await f.read(KEY0), Buffer.from('existing'));
  });

  async function proofOf(names: string[]) {
    const writes = f.writes();
    const before = f.names();
    const sent = f.emulator.requests().length;
    const proof = await store.proveWritable(names);
    assert.equal(f.writes(), writes, 'nothing uploaded');
    assert.deepEqual(f.names(), before);
    return {
      proof,
      paths: f.emulator
        .requests()
        .slice(sent)
        .map((r) => r.path),
    };
  }

  test('proveWritable refused: a TaskError naming the store, keys and refusal; reads still work', async () => {
    const value = Buffer.from('refused-proof-value');
    await f.seed(TOKEN, value);
    f.emulator.faults.refuseWrites = true;
    try {
      const err = await rejection(store.proveWritable(KEYS));
      assert.equal(err.code, 'keys');
      assert.match(
        err.message,
        new RegExp(
          `^googleKmsGcs gs://vault-keys kms ${escape(KEY_PATH)}: cannot write ${escape(KEYS.join(', '))} \\(KMS Encrypt\\): permission denied \\(PERMISSION_DENIED \\(HTTP 403\\): Permission 'cloudkms\\.cryptoKeyVersions\\.useToEncrypt' denied`,
        ),
      );
      assertNoSecrets(f, err.message, [value]);
      assert.deepEqual(await store.get(TOKEN), value, 'reads still work');
    } finally {
      f.emulator.faults.refuseWrites = false;
    }
  });

  test('replacing an object needs storage.objects.delete; creating one does not', async () => {
    const g = await startGoogleFixture();
    trust(g);
    const s = await open(g);
    try {
      g.emulator.deny('storage.objects.delete');
      await s.proveWritable(['new-one']);
      await g.seed('old-one', Buffer.from('v'));
      const err = await rejection(s.proveWritable(['new-one', 'old-one']));
      assert.equal(
        err.message,
        `googleKmsGcs gs://vault-keys kms ${KEY_PATH}: cannot write new-one, old-one: permission denied (missing storage.objects.delete on bucket vault-keys, GCS testIamPermissions)`,
      );
    } finally {
      await s.close?.();
      await g.close();
    }
  });

  test('a hung endpoint fails every call within the deadlines, naming mode, store and key', async () => {
    const g = await startGoogleFixture();
    trust(g);
    const s = await open(g, g.credentialSecretData, {}, SHORT);
    try {
      g.faults.hang = true;
      const where = `googleKmsGcs gs://vault-keys kms ${escape(KEY_PATH)}`;
      const cases: Array<[() => Promise<unknown>, string]> = [
        [() => s.get(KEY0), `cannot read ${escape(KEY0)} \\(GCS download\\)`],
        [() => s.set(KEY0, Buffer.from('v')), `cannot write ${escape(KEY0)} \\(KMS Encrypt\\)`],
        [() => s.checkAccess([KEY0]), 'cannot use the KMS key \\(KMS Encrypt\\)'],
        [() => s.proveWritable(KEYS), `cannot write ${escape(KEYS.join(', '))} \\(KMS Encrypt\\)`],
      ];
      for (const [call, action] of cases) {
        const started = Date.now();
        const err = await rejection(call());
        const took = Date.now() - started;
        assert.ok(took < 1_500, `took ${took} ms`);
        assert.equal(err.code, 'keys');
        assert.match(
          err.message,
          new RegExp(`^${where}: ${action}: no answer in time \\(no answer after 2 attempts`),
        );
      }
    } finally {
      await s.close?.();
      await g.close();
    }
  });

  test('an aborted signal stops a hung call at once and aborts its KMS request', async () => {
    const g = await startGoogleFixture();
    trust(g);
    const s = await open(g);
    try {
      g.faults.hang = true;
      const ac = new AbortController();
      const pending = rejection(s.checkAccess([KEY0], ac.signal));
      while (g.emulator.hanging() === 0) await new Promise((r) => setTimeout(r, 10));
      const abortedAt = Date.now();
      ac.abort();
      const err = await pending;
      assert.ok(Date.now() - abortedAt < 200, `took ${Date.now() - abortedAt} ms`);
      assert.equal(err.code, 'cancelled');
      assert.equal(
        err.message,
        `googleKmsGcs gs://vault-keys kms ${KEY_PATH}: use the KMS key (KMS Encrypt) was cancelled`,
      );
      // The KMS request itself was aborted: the emulator sees its connection close.
      const waitFrom = Date.now();
      while (g.emulator.hanging() > 0 && Date.now() - waitFrom < 1_000)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(g.emulator.hanging(), 0, 'the hung KMS request was closed by the client');
      assert.equal(g.emulator.requests().length, 1, 'no further attempt');
    } finally {
      await s.close?.();
      await g.close();
    }
  });
});
