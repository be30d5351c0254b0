// The awsKmsSsm key store through the real AWS SDK v3 against the loopback KMS+SSM emulator, checked
// against the fixture's independent encoder/decoder of KubeVault's layout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TaskError } from '../../src/errors.ts';
import { scrubSecrets } from '../../src/secrets.ts';
import { awsClientSettings } from '../../src/keys/aws-clients.ts';
import { awsErrorDetail } from '../../src/keys/aws-errors.ts';
import { openAwsKmsSsmStore } from '../../src/keys/aws-kms-ssm.ts';
import type { CloudDeadlines } from '../../src/keys/cloud-call.ts';
import type { CloudKeyStore } from '../../src/keys/cloud.ts';
import { AwsFault } from '../emulators/aws/fault.ts';
import { KMS_ALIAS, startAwsFixture, UNSEALER_CONTEXT, type AwsFixture } from '../emulators/aws/fixture.ts';
import { freePort } from '../helpers/free-port.ts';

const KEY = 'k8s.c.demo.vault-unseal-key-0';
// Whatever a test does, the SDK's credential chain must never try the EC2 metadata service.
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';

const buffers = (data: Record<string, string>): Record<string, Buffer> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));

function specOf(f: AwsFixture, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(f.mode['awsKmsSsm'] as Record<string, unknown>), ...extra };
}

interface OpenOptions {
  spec?: Record<string, unknown>;
  credentials?: Record<string, string> | undefined;
  env?: NodeJS.ProcessEnv;
  deadlines?: Partial<CloudDeadlines>;
}

const opened: CloudKeyStore[] = [];
async function open(f: AwsFixture, o: OpenOptions = {}): Promise<CloudKeyStore> {
  const creds = 'credentials' in o ? o.credentials : f.credentialSecretData;
  const store = await openAwsKmsSsmStore({
    namespace: 'demo',
    spec: o.spec ?? specOf(f),
    credentials: creds === undefined ? undefined : buffers(creds),
    env: o.env ?? f.env,
    ...(o.deadlines === undefined ? {} : { deadlines: o.deadlines }),
  });
  opened.push(store);
  return store;
}

async function rejection(p: Promise<unknown>): Promise<TaskError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof TaskError, `TaskError expected, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

function assertNoValues(message: string, values: Array<string | Buffer>): void {
  for (const v of values) {
    const text = typeof v === 'string' ? v : v.toString('utf8');
    assert.ok(!message.includes(text), `message leaks a value: ${message}`);
    if (typeof v !== 'string') assert.ok(!message.includes(v.toString('base64')), 'message leaks base64');
  }
}

// Runs fn with process.env patched, restoring it afterwards (only the test process is touched).
async function withProcessEnv<T>(
  patch: Record<string, string | undefined>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(patch).map((k) => [k, process.env[k]]));
  const apply = (p: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(p)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(patch);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

describe('awsKmsSsm store', () => {
  let f: AwsFixture;
  before(async () => {
    f = await startAwsFixture();
  });
  after(async () => {
    for (const s of opened) await s.close?.();
    await f.close();
  });

  test('set writes the unsealer layout: SSM String `prefix+name`, base64 of a KMS blob bound to the context', async () => {
    const store = await open(f);
    const value = Buffer.from('6f1d3c0a9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7a1', 'utf8');
    const writes = f.writes();
    await store.set(KEY, value);
    assert.equal(f.writes(), writes + 1, 'one PutParameter');
    assert.ok(f.names().includes(`/kubevault/demo/${KEY}`), f.names().join(','));
    const p = f.emulator.ssm.get(`/kubevault/demo/${KEY}`);
    assert.ok(p);
    assert.equal(p.type, 'String');
    assert.equal(p.description, 'vault-unsealer');
    assert.match(p.value, /^[A-Za-z0-9+/]+={0,2}$/);
    const blob = Buffer.from(p.value, 'base64');
    assert.equal(blob.toString('base64'), p.value, 'standard base64');
    assert.deepEqual(f.emulator.kms.decrypt(blob, UNSEALER_CONTEXT).plaintext, value);
    assert.throws(
      () => f.emulator.kms.decrypt(blob, {}),
      (e: unknown) => {
        return e instanceof AwsFault && e.type === 'InvalidCiphertextException';
      },
    );
    assert.deepEqual(await f.read(KEY), value);
    // Overwrite: true — a second set replaces the value instead of failing with ParameterAlreadyExists.
    await store.set(KEY, Buffer.from('second value'));
    assert.equal(f.emulator.ssm.get(`/kubevault/demo/${KEY}`)?.version, 2);
    assert.equal((await f.read(KEY))?.toString(), 'second value');
  });

  test('reads a value seeded by the independent encoder; a missing key is undefined', async () => {
    const store = await open(f);
    await f.seed('k8s.c.demo.vault-root-token', Buffer.from('hvs.CAESIJ5mYt0'));
    assert.equal((await store.get('k8s.c.demo.vault-root-token'))?.toString(), 'hvs.CAESIJ5mYt0');
    assert.equal(await store.get('k8s.c.demo.vault-unseal-key-99'), undefined);
    // The prefix is prepended on read too: the bare name is not what was looked up.
    f.emulator.ssm.put({ name: 'k8s.c.demo.bare', value: 'AAAA', type: 'String' });
    assert.equal(await store.get('k8s.c.demo.bare'), undefined);
  });

  test('arbitrary bytes round-trip unchanged', async () => {
    const store = await open(f);
    const all = Buffer.from([...Array(256).keys()]);
    const rnd = randomBytes(1000);
    await store.set('bytes-all', all);
    await store.set('bytes-rnd', rnd);
    assert.deepEqual(await store.get('bytes-all'), all);
    assert.deepEqual(await store.get('bytes-rnd'), rnd);
    assert.deepEqual(await f.read('bytes-rnd'), rnd);
  });

  test('the KMS key may be given by alias', async () => {
    const store = await open(f, { spec: specOf(f, { kmsKeyID: KMS_ALIAS }) });
    await store.set('by-alias', Buffer.from('alias value'));
    assert.equal((await f.read('by-alias'))?.toString(), 'alias value');
    assert.match(store.description, /kms alias\/kubevault-unseal/);
  });

  test('a wrong secret key is rejected on the first request and nothing is written', async () => {
    const store = await open(f, { credentials: f.wrongCredentialSecretData });
    const value = Buffer.from('do-not-leak-this-unseal-key');
    const writes = f.writes();
    const names = f.names();
    const sent = f.emulator.requests().length;
    const started = Date.now();
    const err = await rejection(store.set(KEY, value));
    assert.ok(Date.now() - started < 1000, 'fails fast');
    assert.equal(f.emulator.requests().length, sent + 1, 'no retries of an auth failure');
    assert.equal(err.code, 'keys');
    assert.match(err.message, /^awsKmsSsm \(region us-east-1, SSM prefix "\/kubevault\/demo\/", KMS key /);
    assert.ok(err.message.includes(`cannot write ${KEY}`), err.message);
    assert.match(err.message, /credentials rejected \(InvalidSignatureException: /);
    assertNoValues(err.message, [
      value,
      f.wrongCredentialSecretData['secret_key']!,
      f.credentialSecretData['secret_key']!,
    ]);
    assert.equal(f.writes(), writes, 'no PutParameter served');
    assert.deepEqual(f.names(), names);

    await f.seed(KEY, value);
    const read = await rejection(store.get(KEY));
    assert.equal(read.code, 'keys');
    assert.match(
      read.message,
      /awsKmsSsm .*cannot read k8s\.c\.demo\.vault-unseal-key-0 .*credentials rejected/,
    );
    assertNoValues(read.message, [value, f.wrongCredentialSecretData['secret_key']!]);
  });

  test('an unknown access key reads as rejected credentials too', async () => {
    const store = await open(f, {
      credentials: { access_key: 'AKIAUNKNOWN000000000', secret_key: 'x'.repeat(40) },
    });
    const err = await rejection(store.get(KEY));
    assert.match(err.message, /credentials rejected \(UnrecognizedClientException: The security token/);
  });

  test('checkAccess passes with good credentials and changes nothing; fails clearly with bad ones', async () => {
    const good = await open(f);
    const writes = f.writes();
    const names = f.names();
    const many = Array.from({ length: 13 }, (_, i) => `k8s.c.demo.vault-unseal-key-${i}`);
    const sent = f.emulator.requests().length;
    await good.checkAccess(many);
    await good.checkAccess([]);
    const targets = f.emulator
      .requests()
      .slice(sent)
      .map((r) => r.target);
    assert.deepEqual(targets, [
      'TrentService.Encrypt',
      'AmazonSSM.GetParameters',
      'AmazonSSM.GetParameters',
      'TrentService.Encrypt',
      'AmazonSSM.GetParameters',
    ]);
    assert.equal(f.writes(), writes);
    assert.deepEqual(f.names(), names);

    const bad = await open(f, { credentials: f.wrongCredentialSecretData });
    const err = await rejection(bad.checkAccess([KEY]));
    assert.equal(err.code, 'keys');
    assert.match(err.message, /^awsKmsSsm .*credentials rejected/);
    assertNoValues(err.message, [f.wrongCredentialSecretData['secret_key']!]);
  });

  test('a missing credential key is a config error naming the key, never a value', async () => {
    const secret = f.credentialSecretData['secret_key']!;
    const noAccess = await rejection(open(f, { credentials: { secret_key: secret } }));
    assert.equal(noAccess.code, 'config');
    assert.match(noAccess.message, /awsKmsSsm: credential secret has no access_key$/);
    assertNoValues(noAccess.message, [secret]);
    const none = await rejection(open(f, { credentials: { access_key: '', secret_key: '\n' } }));
    assert.match(none.message, /has no access_key, secret_key$/);
    const noKey = await rejection(open(f, { spec: specOf(f, { kmsKeyID: '' }) }));
    assert.equal(noKey.code, 'config');
    assert.match(noKey.message, /kmsKeyID/);
  });

  test('credentials go to the clients only, never into process.env; the secret key is scrubbed', async () => {
    const env = { ...process.env };
    const store = await open(f);
    await store.get(KEY);
    assert.deepEqual({ ...process.env }, env);
    const secret = f.credentialSecretData['secret_key']!;
    assert.equal(scrubSecrets(`leak ${secret} here`).includes(secret), false);
  });

  test('values echoed in an AWS error message are cut out', () => {
    const err = Object.assign(new Error(`Value 'c2VjcmV0LWJsb2I=' at 'value' failed`), {
      name: 'ValidationException',
    });
    const detail = awsErrorDetail(err, ['c2VjcmV0LWJsb2I=']);
    assert.equal(detail, `ValidationException: Value '[redacted]' at 'value' failed`);
  });

  test('a trailing newline in the credential secret is ignored', async () => {
    const { access_key, secret_key } = f.credentialSecretData;
    const store = await open(f, {
      credentials: { access_key: `${access_key!}\n`, secret_key: `${secret_key!}\n` },
    });
    await store.checkAccess([KEY]);
  });

  test('without a credential secret the SDK default chain is used (here: its env provider)', async () => {
    await withProcessEnv(
      {
        AWS_ACCESS_KEY_ID: f.credentialSecretData['access_key'],
        AWS_SECRET_ACCESS_KEY: f.credentialSecretData['secret_key'],
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
      },
      async () => {
        const store = await open(f, { credentials: undefined });
        await store.set('ambient', Buffer.from('ambient value'));
        assert.equal((await f.read('ambient'))?.toString(), 'ambient value');
        assert.equal(f.emulator.requests().at(-1)?.accessKey, f.credentialSecretData['access_key']);
      },
    );
  });

  test('spec.endpoint is the KMS endpoint and wins over AWS_ENDPOINT_URL_KMS', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const env = { AWS_ENDPOINT_URL_KMS: dead, AWS_ENDPOINT_URL_SSM: f.emulator.url };
    const viaSpec = await open(f, { spec: specOf(f, { endpoint: f.emulator.url }), env });
    await viaSpec.set('endpoint-key', Buffer.from('via spec endpoint'));
    assert.equal((await viaSpec.get('endpoint-key'))?.toString(), 'via spec endpoint');
    // Without spec.endpoint the same env sends KMS to the dead endpoint.
    const viaEnv = await open(f, { env });
    const err = await rejection(viaEnv.get('endpoint-key'));
    assert.match(err.message, /cannot read endpoint-key \(KMS Decrypt\): .*ECONNREFUSED/);
  });

  test('AWS_ENDPOINT_URL serves both services; the service-specific variables win', async () => {
    const generic = await open(f, { env: { AWS_ENDPOINT_URL: f.emulator.url } });
    await generic.checkAccess([KEY]);
    const s = awsClientSettings({ endpoint: 'vpce-1.kms.us-east-1.vpce.amazonaws.com' }, undefined, {
      AWS_ENDPOINT_URL: 'http://generic:1',
      AWS_ENDPOINT_URL_SSM: 'http://ssm:2',
    });
    assert.equal(s.kmsEndpoint, 'https://vpce-1.kms.us-east-1.vpce.amazonaws.com/');
    assert.equal(s.ssmEndpoint, 'http://ssm:2/');
    assert.equal(
      awsClientSettings({}, undefined, { AWS_ENDPOINT_URL: 'http://generic:1' }).kmsEndpoint,
      'http://generic:1/',
    );
    assert.equal(awsClientSettings({}, undefined, {}).ssmEndpoint, undefined);
    assert.equal(s.common.credentials, undefined, 'no credentials: the SDK default chain');
    // Attempts are boundedCall's; the SDK's socket timeouts only back up its per-attempt deadline.
    assert.equal(s.common.maxAttempts, 1);
    assert.equal(s.common.requestHandler.requestTimeout, 11_000);
    assert.equal(s.common.requestHandler.connectionTimeout, 11_000);
  });

  test('an empty or absent ssmKeyPrefix stores the bare key name', async () => {
    const g = await startAwsFixture({ ssmKeyPrefix: '' });
    try {
      const spec = specOf(g);
      const withEmpty = await open(g, { spec });
      await withEmpty.set(KEY, Buffer.from('no prefix'));
      assert.deepEqual(g.names(), [KEY]);
      assert.equal((await g.read(KEY))?.toString(), 'no prefix');
      assert.match(withEmpty.description, /^awsKmsSsm region us-east-1 ssm prefix "" kms /);
      delete spec['ssmKeyPrefix'];
      const absent = await open(g, { spec });
      assert.equal((await absent.get(KEY))?.toString(), 'no prefix');
    } finally {
      await g.close();
    }
  });

  test('region comes from spec.region, else AWS_REGION in the given env; none is a config error', async () => {
    const noRegion = specOf(f);
    delete noRegion['region'];
    const store = await open(f, { spec: noRegion, env: { ...f.env, AWS_REGION: 'us-east-1' } });
    assert.match(store.description, /region us-east-1 /);
    await store.checkAccess([KEY]);
    const err = await withProcessEnv(
      {
        AWS_REGION: undefined,
        AWS_DEFAULT_REGION: undefined,
        AWS_CONFIG_FILE: '/nonexistent/aws-config',
        AWS_PROFILE: undefined,
      },
      () => rejection(open(f, { spec: noRegion })),
    );
    assert.equal(err.code, 'config');
    assert.match(err.message, /awsKmsSsm has no region/);
  });

  test('IAM refusals read as access denied', async () => {
    const g = await startAwsFixture();
    try {
      g.emulator.deny('kms:Decrypt');
      g.emulator.deny('ssm:GetParameters');
      const store = await open(g);
      const denied = await rejection(store.checkAccess([KEY]));
      assert.match(
        denied.message,
        /cannot read the keys \(SSM GetParameters\): access denied \(AccessDeniedException: /,
      );
    } finally {
      await g.close();
    }
    const h = await startAwsFixture();
    try {
      h.emulator.deny('kms:Decrypt');
      await h.seed(KEY, Buffer.from('value'));
      const err = await rejection((await open(h)).get(KEY));
      assert.match(
        err.message,
        new RegExp(`cannot read ${KEY.replaceAll('.', '\\.')} \\(KMS Decrypt\\): access denied`),
      );
    } finally {
      await h.close();
    }
  });

  test('a blob from another KMS key or a non-unsealer value fails clearly without echoing it', async () => {
    const otherKey = f.emulator.kms.createKey();
    const other = await open(f, { spec: specOf(f, { kmsKeyID: otherKey }) });
    await f.seed('other-key', Buffer.from('secret-from-key-a'));
    const wrongKey = await rejection(other.get('other-key'));
    assert.match(wrongKey.message, /KMS Decrypt\): IncorrectKeyException/);
    assertNoValues(wrongKey.message, ['secret-from-key-a']);

    const store = await open(f);
    const bogus = Buffer.from('not a kms blob at all').toString('base64');
    f.emulator.ssm.put({ name: '/kubevault/demo/bogus', value: bogus, type: 'String' });
    const undecryptable = await rejection(store.get('bogus'));
    assert.match(undecryptable.message, /cannot read bogus \(KMS Decrypt\): cannot decrypt/);
    assertNoValues(undecryptable.message, [bogus]);

    f.emulator.ssm.put({ name: '/kubevault/demo/plain', value: 'plain text!', type: 'String' });
    const notBase64 = await rejection(store.get('plain'));
    assert.match(notBase64.message, /cannot read plain: SSM parameter is not base64/);
    assertNoValues(notBase64.message, ['plain text!']);

    const unknown = await open(f, { spec: specOf(f, { kmsKeyID: 'alias/missing' }) });
    const notFound = await rejection(unknown.set('x', Buffer.from('value')));
    assert.match(
      notFound.message,
      /KMS key alias\/missing\): cannot write x \(KMS Encrypt\): NotFoundException: /,
    );
  });
});

// Deadlines short enough for a test: two attempts of 150 ms, 600 ms in all.
const SHORT = { attemptMs: 150, attempts: 2, backoffMs: 20, totalMs: 600 };
const KEYS = [
  'k8s.c.demo.vault-root-token',
  'k8s.c.demo.vault-unseal-key-0',
  'k8s.c.demo.vault-unseal-key-1',
];
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('awsKmsSsm store: names, bytes, write proofs, deadlines', () => {
  let f: AwsFixture;
  before(async () => {
    f = await startAwsFixture();
  });
  after(async () => {
    for (const s of opened.splice(0)) await s.close?.();
    await f.close();
  });

  test('invalidNames applies the SSM naming rules to ssmKeyPrefix + name', async () => {
    const store = await open(f);
    assert.deepEqual(store.invalidNames(KEYS), []);
    const [chars] = store.invalidNames(['k8s.c demo']);
    assert.equal(
      chars,
      'k8s.c demo: SSM parameter name "/kubevault/demo/k8s.c demo" has " "; only a-z, A-Z, 0-9, _ . - and / are allowed',
    );
    // 1011 characters including the ARN `arn:aws:ssm:us-east-1:<12 digits>:parameter` + name: 967 for a
    // name beginning with / (its slash is the ARN's), 966 for one without.
    const fits = 'x'.repeat(967 - '/kubevault/demo/'.length);
    assert.deepEqual(store.invalidNames([fits]), []);
    assert.match(
      store.invalidNames([`${fits}x`])[0] ?? '',
      /: SSM parameter name is 968 characters; at most 967 fit in region us-east-1 \(1011 including the parameter ARN\)$/,
    );
    assert.match(store.invalidNames(['a//b'])[0] ?? '', /^a\/\/b: .* has an empty path segment$/);
    const deep = Array.from({ length: 14 }, (_, i) => `l${i}`).join('/');
    assert.match(store.invalidNames([deep])[0] ?? '', /is 16 levels deep; at most 15 are allowed$/);
    assert.deepEqual(store.invalidNames([deep.replace(/\/l13$/, '')]), []);

    const bare = await open(f, { spec: specOf(f, { ssmKeyPrefix: '' }) });
    for (const name of ['aws-key', 'SSM.key', 'awsome']) {
      assert.match(
        bare.invalidNames([name])[0] ?? '',
        new RegExp(
          `^${escape(name)}: SSM parameter name "${escape(name)}" begins with "${name.slice(0, 3)}"; names beginning with aws or ssm \\(any case\\) are reserved$`,
        ),
      );
    }
    assert.match(bare.invalidNames(['/ssm/x'])[0] ?? '', /begins with "ssm"/);
    assert.match(bare.invalidNames(['a/b'])[0] ?? '', /contains \/ but does not begin with it/);
    assert.match(bare.invalidNames([''])[0] ?? '', /^: the SSM parameter name would be empty$/);
    assert.deepEqual(bare.invalidNames(['x'.repeat(966)]), []);
    assert.match(bare.invalidNames(['x'.repeat(967)])[0] ?? '', /at most 966 fit/);
    // The region's partition counts too: the China ARN is 4 characters longer.
    const cn = await open(f, { spec: specOf(f, { region: 'cn-north-1', ssmKeyPrefix: '' }) });
    assert.deepEqual(cn.invalidNames(['x'.repeat(962)]), []);
    assert.match(cn.invalidNames(['x'.repeat(963)])[0] ?? '', /at most 962 fit in region cn-north-1/);
  });

  test('get and set refuse a name SSM cannot hold as a config error, before any request', async () => {
    const store = await open(f);
    const sent = f.emulator.requests().length;
    for (const p of [store.get('bad name'), store.set('bad name', Buffer.from('v'))]) {
      const err = await rejection(p);
      assert.equal(err.code, 'config');
      assert.match(err.message, /cannot hold these key names: bad name: SSM parameter name/);
    }
    assert.equal(f.emulator.requests().length, sent);
  });

  test('keys are bytes: non-UTF-8 values and trailing newlines survive set → get and the layout decoder', async () => {
    const store = await open(f);
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

  test('proveWritable: KMS Encrypt dry run, then ONE existing parameter re-written with its current value', async () => {
    const store = await open(f);
    await f.seed(KEYS[0]!, Buffer.from('hvs.root'));
    await f.seed(KEYS[1]!, Buffer.from('unseal-0'));
    const full = `/kubevault/demo/${KEYS[0]!}`;
    const before = f.emulator.ssm.get(full);
    assert.ok(before);
    const sent = f.emulator.requests().length;
    const proof = await store.proveWritable(KEYS);
    const made = f.emulator.requests().slice(sent);
    assert.deepEqual(
      made.map((r) => [r.target, r.status, r.errorType]),
      [
        ['TrentService.Encrypt', 412, 'DryRunOperationException'],
        ['AmazonSSM.GetParameters', 200, undefined],
        ['AmazonSSM.PutParameter', 200, undefined],
      ],
    );
    const after = f.emulator.ssm.get(full);
    assert.equal(after?.value, before.value, 'the stored value is the same string');
    assert.equal(after?.version, before.version + 1, 'one more version');
    assert.equal(after?.type, 'String');
    assert.equal(after?.description, 'vault-unsealer');
    assert.deepEqual(await f.read(KEYS[0]!), Buffer.from('hvs.root'));
    assert.equal(
      proof.proven,
      `KMS Encrypt dry run with key ${f.kmsKeyID} and the unsealer encryption context; SSM PutParameter (Overwrite) of ${full} with its current value (now version ${after?.version})`,
    );
    assert.equal(
      proof.unprovable,
      `SSM has no dry run, so not proven: /kubevault/demo/${KEYS[1]!} only insofar as IAM treats them like ${full}; creating /kubevault/demo/${KEYS[2]!} (absent; a created parameter would be visible)`,
    );
  });

  test('proveWritable with no parameter yet proves KMS only, states the SSM gap and writes nothing', async () => {
    const g = await startAwsFixture({ ssmKeyPrefix: '/empty/' });
    try {
      const store = await open(g);
      const writes = g.writes();
      const proof = await store.proveWritable(KEYS);
      assert.equal(g.writes(), writes);
      assert.deepEqual(g.names(), []);
      assert.match(proof.proven, /^KMS Encrypt dry run with key /);
      assert.match(
        proof.unprovable ?? '',
        /^ssm:PutParameter: SSM has no dry run and no target parameter exists/,
      );
    } finally {
      await g.close();
    }
  });

  test('proveWritable refused: a TaskError naming mode, store, keys and the refusal, never a value; reads still work', async () => {
    const g = await startAwsFixture();
    try {
      const store = await open(g);
      const value = Buffer.from('refused-root-token-value');
      await g.seed(KEYS[0]!, value);
      const ciphertext = g.emulator.ssm.get(`/kubevault/demo/${KEYS[0]!}`)?.value ?? '';
      g.faults.refuseWrites = true;
      const err = await rejection(store.proveWritable(KEYS));
      assert.equal(err.code, 'keys');
      assert.match(
        err.message,
        new RegExp(
          `^awsKmsSsm \\(region us-east-1, SSM prefix "/kubevault/demo/", KMS key ${g.kmsKeyID}\\): cannot write ${escape(KEYS.join(', '))} \\(KMS Encrypt dry run\\): access denied \\(AccessDeniedException: .*kms:Encrypt`,
        ),
      );
      assert.deepEqual(await store.get(KEYS[0]!), value, 'reads still work');
      g.faults.refuseWrites = false;

      // KMS allowed, SSM PutParameter denied: the refusal names the parameter; nothing changed.
      g.emulator.deny('ssm:PutParameter');
      const sent = g.emulator.requests().length;
      const ssmErr = await rejection(store.proveWritable(KEYS));
      assert.equal(ssmErr.code, 'keys');
      assert.match(
        ssmErr.message,
        new RegExp(
          `cannot write ${escape(KEYS[0]!)} \\(SSM PutParameter of its current value, proving write access\\): access denied \\(AccessDeniedException: .*ssm:PutParameter`,
        ),
      );
      assertNoValues(ssmErr.message, [value, ciphertext]);
      assert.deepEqual(
        g.emulator
          .requests()
          .slice(sent)
          .map((r) => r.errorType),
        ['DryRunOperationException', undefined, 'AccessDeniedException'],
      );
      assert.equal(g.emulator.ssm.get(`/kubevault/demo/${KEYS[0]!}`)?.version, 1);
    } finally {
      await g.close();
    }
  });

  test('a hung endpoint fails every call within the deadlines, naming mode, store and key', async () => {
    const g = await startAwsFixture();
    try {
      const store = await open(g, { deadlines: SHORT });
      g.faults.hang = true;
      const where = `awsKmsSsm \\(region us-east-1, SSM prefix "/kubevault/demo/", KMS key ${g.kmsKeyID}\\)`;
      const cases: Array<[() => Promise<unknown>, string]> = [
        [() => store.get(KEYS[1]!), `cannot read ${escape(KEYS[1]!)} \\(SSM GetParameters\\)`],
        [() => store.set(KEYS[1]!, Buffer.from('v')), `cannot write ${escape(KEYS[1]!)} \\(KMS Encrypt\\)`],
        [() => store.checkAccess(KEYS), 'cannot use the KMS key \\(KMS Encrypt\\)'],
        [
          () => store.proveWritable(KEYS),
          `cannot write ${escape(KEYS.join(', '))} \\(KMS Encrypt dry run\\)`,
        ],
      ];
      for (const [call, action] of cases) {
        const sent = g.emulator.requests().length;
        const started = Date.now();
        const err = await rejection(call());
        const took = Date.now() - started;
        assert.ok(took < 1_500, `took ${took} ms`);
        assert.equal(err.code, 'keys');
        assert.match(
          err.message,
          new RegExp(
            `^${where}: ${action}: no answer in time \\(no answer after 2 attempts in [0-9.]+m?s \\(at most 150ms per attempt, 2 attempts, 600ms in all\\)\\)$`,
          ),
        );
        assert.equal(g.emulator.requests().length, sent + 2, 'two attempts reached the server');
      }
    } finally {
      await g.close();
    }
  });

  test('an aborted signal stops a hung call at once (default deadlines), with no further attempt', async () => {
    const g = await startAwsFixture();
    try {
      const store = await open(g);
      g.faults.hang = true;
      const ac = new AbortController();
      const sent = g.emulator.requests().length;
      const started = Date.now();
      const pending = rejection(store.get(KEYS[0]!, ac.signal));
      setTimeout(() => ac.abort(), 100);
      const err = await pending;
      assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
      assert.equal(err.code, 'cancelled');
      assert.equal(
        err.message,
        `awsKmsSsm (region us-east-1, SSM prefix "/kubevault/demo/", KMS key ${g.kmsKeyID}): read ${KEYS[0]!} (SSM GetParameters) was cancelled`,
      );
      assert.equal(g.emulator.requests().length, sent + 1);
      // A TaskError reason (e.g. SIGTERM's) is passed on as is; an already-aborted signal sends nothing.
      const reason = new TaskError('cancelled', 'cancelled by SIGTERM');
      assert.equal(await rejection(store.set(KEYS[0]!, Buffer.from('v'), AbortSignal.abort(reason))), reason);
      assert.equal(g.emulator.requests().length, sent + 1);
    } finally {
      await g.close();
    }
  });
});
