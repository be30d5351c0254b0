// The azureKeyVault store through the real @azure/identity + @azure/keyvault-secrets SDKs against the
// loopback Entra ID + Key Vault emulator; the layout is checked with the fixture's own decoder.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { TaskError } from '../../src/errors.ts';
import { azureAuthorityHost } from '../../src/keys/azure-credential.ts';
import { azureSecretName, openAzureKeyVaultStore } from '../../src/keys/azure-key-vault.ts';
import type { CloudDeadlines } from '../../src/keys/cloud-call.ts';
import type { CloudKeyStore } from '../../src/keys/cloud.ts';
import { startAzureFixture, type AzureKeyFixture } from '../emulators/azure/fixture.ts';

const KEY = 'k8s.7c3d1e5a-demo.demo.vault-unseal-key-0';
const SECRET_NAME = 'k8s-7c3d1e5a-demo-demo-vault-unseal-key-0';

let fx: AzureKeyFixture;
let spec: Record<string, unknown>;
const opened: CloudKeyStore[] = [];
// Every outgoing HTTP request of this process: nothing may leave the loopback emulator.
const hosts: string[] = [];
const onRequest = (message: unknown): void => {
  hosts.push((message as { request: ClientRequest }).request.host);
};

before(async () => {
  subscribe('http.client.request.created', onRequest);
  fx = await startAzureFixture();
  spec = fx.mode['azureKeyVault'] as Record<string, unknown>;
});

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close?.();
});

after(async () => {
  unsubscribe('http.client.request.created', onRequest);
  await fx.close();
  assert.ok(hosts.length > 0, 'requests were observed');
  assert.deepEqual([...new Set(hosts)], ['127.0.0.1'], 'only the loopback emulator was contacted');
});

const buffers = (data: Record<string, string>): Record<string, Buffer> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));

interface Open {
  spec?: Record<string, unknown>;
  credentials?: Record<string, string> | undefined;
  env?: Record<string, string>;
  deadlines?: Partial<CloudDeadlines>;
}

async function open(o: Open = {}): Promise<CloudKeyStore> {
  const credentials = 'credentials' in o ? o.credentials : fx.credentialSecretData;
  const store = await openAzureKeyVaultStore({
    namespace: 'demo',
    spec: o.spec ?? spec,
    credentials: credentials === undefined ? undefined : buffers(credentials),
    env: o.env ?? fx.env,
    ...(o.deadlines === undefined ? {} : { deadlines: o.deadlines }),
  });
  opened.push(store);
  return store;
}

async function rejection(p: Promise<unknown>): Promise<TaskError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof TaskError, `expected a TaskError, got ${String(err)}`);
  return err;
}

function assertNoCredential(text: string): void {
  for (const v of [...fx.secretValues(), fx.wrongCredentialSecretData['client-secret'] ?? '']) {
    assert.ok(!text.includes(v), 'a client secret leaked into the message');
  }
}

test('set writes the unsealer layout: dots → dashes, base64 value, contentType password', async () => {
  const store = await open();
  const value = Buffer.from('4f1c0a7be3d29e8a51f6c2d40b9a7e31c8d5f2a6e9b04c7d1a3f5e8b2c6d9a0e1f');
  const writes = fx.writes();
  await store.set(KEY, value);
  assert.equal(fx.writes(), writes + 1);
  assert.ok(fx.names().includes(SECRET_NAME), `secret ${SECRET_NAME} exists: ${fx.names().join(', ')}`);
  assert.ok(!fx.names().some((n) => n.includes('.')), 'no stored name contains a dot');
  const stored = fx.emulator.state.latest(SECRET_NAME);
  assert.equal(stored?.value, value.toString('base64'));
  assert.equal(stored?.contentType, 'password');
  assert.deepEqual(await fx.read(KEY), value);
  assert.equal(store.description, `azureKeyVault ${fx.emulator.url}`);
});

test('a value seeded in the unsealer layout is read back byte for byte', async () => {
  const value = Buffer.from('hvs.CAESIJ0seeded-root-token');
  await fx.seed('k8s.seed.demo.vault-root-token', value);
  const store = await open();
  assert.deepEqual(await store.get('k8s.seed.demo.vault-root-token'), value);
});

test('the latest version wins and every version is kept', async () => {
  const store = await open();
  await store.set('k8s.v.demo.vault-unseal-key-1', Buffer.from('first'));
  await store.set('k8s.v.demo.vault-unseal-key-1', Buffer.from('second'));
  assert.deepEqual(await store.get('k8s.v.demo.vault-unseal-key-1'), Buffer.from('second'));
  const entry = fx.emulator.state.secrets.get('k8s-v-demo-vault-unseal-key-1');
  assert.equal(entry?.versions.length, 2);
});

test('a missing key reads as undefined', async () => {
  const store = await open();
  assert.equal(await store.get('k8s.none.demo.vault-unseal-key-4'), undefined);
});

test('arbitrary bytes round trip', async () => {
  const store = await open();
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const random = randomBytes(4096);
  await store.set('k8s.bytes.demo.a', all);
  await store.set('k8s.bytes.demo.b', random);
  assert.deepEqual(await store.get('k8s.bytes.demo.a'), all);
  assert.deepEqual(await store.get('k8s.bytes.demo.b'), random);
  assert.deepEqual(await fx.read('k8s.bytes.demo.b'), random);
});

test('a wrong client secret is reported as rejected credentials and writes nothing', async () => {
  const value = Buffer.from('do-not-write-this-value');
  const store = await open({ credentials: fx.wrongCredentialSecretData });
  const writes = fx.writes();
  const started = Date.now();
  const err = await rejection(store.set(KEY, value));
  assert.ok(Date.now() - started < 5_000, 'failed fast');
  assert.equal(err.code, 'keys');
  assert.match(err.message, /^azureKeyVault /);
  assert.ok(err.message.includes(fx.emulator.url), 'names the vault URL');
  assert.ok(err.message.includes(KEY) && err.message.includes(SECRET_NAME), 'names the key and secret');
  assert.match(err.message, /credentials rejected/);
  assert.match(err.message, /AADSTS7000215: Invalid client secret provided\./);
  assert.ok(!err.message.includes(value.toString()) && !err.message.includes(value.toString('base64')));
  assertNoCredential(err.message);
  assert.equal(fx.writes(), writes, 'nothing written');

  const read = await rejection(store.get(KEY));
  assert.match(read.message, /cannot read .*credentials rejected/);
});

test('an unknown client id is rejected with AADSTS700016', async () => {
  const store = await open({
    credentials: { 'client-id': 'c0ffee00-0000-4000-8000-000000000000', 'client-secret': 'x-secret-1' },
  });
  const err = await rejection(store.get(KEY));
  assert.equal(err.code, 'keys');
  assert.match(err.message, /credentials rejected by Entra ID \(unauthorized_client, AADSTS700016: /);
});

test('checkAccess authenticates and reads without writing; a wrong secret fails it', async () => {
  const good = await open();
  const before = fx.emulator.state.requests.length;
  const writes = fx.writes();
  await good.checkAccess([KEY, 'k8s.none.demo.vault-root-token']);
  const made = fx.emulator.state.requests.slice(before);
  assert.equal(fx.writes(), writes);
  assert.ok(
    made.some((r) => r.method === 'POST' && r.path.endsWith('/oauth2/v2.0/token')),
    'a token was fetched',
  );
  assert.ok(
    made.some((r) => r.path === `/secrets/${SECRET_NAME}/`),
    'the key was read',
  );
  assert.ok(
    made.every((r) => r.method !== 'PUT'),
    'nothing was put',
  );

  const bad = await open({ credentials: fx.wrongCredentialSecretData });
  const err = await rejection(bad.checkAccess([KEY]));
  assert.equal(err.code, 'keys');
  assert.match(err.message, /credentials rejected/);
  assert.equal(fx.writes(), writes);
  await rejection((await open({ credentials: fx.wrongCredentialSecretData })).checkAccess([]));
});

test('missing permission reads as access denied by Key Vault', async () => {
  const clientId = 'a11ce000-0000-4000-8000-00000000000a';
  fx.emulator.state.apps.set(clientId, { clientSecret: 'read-only-secret', permissions: new Set(['get']) });
  const store = await open({ credentials: { 'client-id': clientId, 'client-secret': 'read-only-secret' } });
  await store.get(KEY);
  const err = await rejection(store.set(KEY, Buffer.from('x')));
  assert.match(
    err.message,
    /access denied by Key Vault \(403 Forbidden: .*does not have secrets set permission/,
  );
  assert.ok(!err.message.includes('read-only-secret'));
});

test('a credential secret without client-secret is a config error naming only the missing key', async () => {
  const err = await rejection(
    open({ credentials: { 'client-id': fx.credentialSecretData['client-id'] ?? '' } }),
  );
  assert.equal(err.code, 'config');
  assert.match(err.message, /credential secret demo\/azure-cred has no client-secret$/);
  assert.ok(!err.message.includes(fx.credentialSecretData['client-id'] ?? '-'));
  const both = await rejection(open({ credentials: {} }));
  assert.match(both.message, /has no client-id, client-secret/);
});

test('names Key Vault cannot hold are config errors, before any request', async () => {
  const store = await open();
  const requests = fx.emulator.state.requests.length;
  for (const key of ['k8s.x.demo/vault-root-token', 'k8s_x.vault-root-token', 'a'.repeat(128), '']) {
    const err = await rejection(store.get(key));
    assert.equal(err.code, 'config', key);
    assert.match(
      err.message,
      /^azureKeyVault cannot hold key .*: (the Azure secret name would be empty|Azure secret name ".*" (has .*; only 0-9, a-z, A-Z and - are allowed|is 128 characters; at most 127 are allowed))$/,
    );
    await rejection(store.set(key, Buffer.from('v')));
  }
  assert.equal(fx.emulator.state.requests.length, requests);
  assert.equal(azureSecretName('a'.repeat(127)), 'a'.repeat(127));
});

test('a stored value that is not base64 is refused without echoing it', async () => {
  fx.emulator.state.put('k8s-junk-demo-vault-root-token', 'not base64 at all!', 'password');
  const store = await open();
  const err = await rejection(store.get('k8s.junk.demo.vault-root-token'));
  assert.equal(err.code, 'keys');
  assert.match(err.message, /is not standard base64/);
  assert.ok(!err.message.includes('not base64 at all'));
});

test('spec checks: required fields, https URL, known cloud, unsupported client certificate', async () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...spec, vaultBaseURL: '' }, /has no vaultBaseURL/],
    [{ ...spec, tenantID: undefined }, /has no tenantID/],
    [{ ...spec, vaultBaseURL: 'http://127.0.0.1:1' }, /must be https/],
    [{ ...spec, cloud: 'AzureMoonCloud' }, /unknown cloud "AzureMoonCloud"/],
  ];
  for (const [s, re] of cases) {
    const err = await rejection(open({ spec: s, env: {} }));
    assert.equal(err.code, 'config');
    assert.match(err.message, re);
  }
  const cert = await rejection(
    open({
      spec: { ...spec, credentialSecretRef: undefined, tlsSecretRef: { name: 'cert' } },
      credentials: undefined,
    }),
  );
  assert.equal(cert.code, 'config');
  assert.match(cert.message, /tlsSecretRef\) is not supported/);
});

test('authority host: cloud names map to Entra hosts; AZURE_AUTHORITY_HOST overrides', () => {
  assert.equal(azureAuthorityHost({}, {}), 'https://login.microsoftonline.com');
  assert.equal(azureAuthorityHost({ cloud: 'AzureChinaCloud' }, {}), 'https://login.chinacloudapi.cn');
  assert.equal(
    azureAuthorityHost({ cloud: 'AZUREUSGOVERNMENTCLOUD' }, {}),
    'https://login.microsoftonline.us',
  );
  assert.equal(azureAuthorityHost({ cloud: 'AZUREGERMANCLOUD' }, {}), 'https://login.microsoftonline.de');
  const env = { AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9/' };
  assert.equal(azureAuthorityHost({ cloud: 'AzureChinaCloud' }, env), 'https://127.0.0.1:9');
  assert.throws(() => azureAuthorityHost({}, { AZURE_AUTHORITY_HOST: 'http://x' }), /must be an https/);
});

test('challenge resource verification stays on unless explicitly skipped', async () => {
  const { STASH_VAULT_AZURE_SKIP_CHALLENGE_VERIFICATION: _, ...env } = fx.env;
  const tokens = fx.emulator.state.tokenRequests;
  const err = await rejection((await open({ env })).get(KEY));
  assert.equal(err.code, 'keys');
  assert.match(err.message, /challenge resource 'vault\.azure\.net' does not match/);
  assert.equal(fx.emulator.state.tokenRequests, tokens, 'no token was requested for a foreign host');
});

test('the emulator certificate is verified: without its CA the vault is unreachable', async () => {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = fx.env;
  const err = await rejection((await open({ env })).get(KEY));
  assert.equal(err.code, 'keys');
  assert.match(err.message, /cannot reach Key Vault \(.*certificate/i);
});

test('an unreachable vault fails within seconds', async () => {
  const server: Server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const started = Date.now();
  const err = await rejection(
    (await open({ spec: { ...spec, vaultBaseURL: `https://127.0.0.1:${port}` } })).get(KEY),
  );
  assert.ok(Date.now() - started < 8_000, `took ${Date.now() - started} ms`);
  assert.match(
    err.message,
    new RegExp(
      `^azureKeyVault https://127\\.0\\.0\\.1:${port}: cannot read .*cannot reach Key Vault \\(ECONNREFUSED`,
    ),
  );
});

// Deadlines short enough for a test: two attempts of 150 ms, 600 ms in all.
const SHORT = { attemptMs: 150, attempts: 2, backoffMs: 20, totalMs: 600 };
const KEYS = [
  'k8s.p.demo.vault-root-token',
  'k8s.p.demo.vault-unseal-key-0',
  'k8s.p.demo.vault-unseal-key-1',
];
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

test('invalidNames: Key Vault rules after the . → - mapping, and keys that would share a secret', async () => {
  const store = await open();
  assert.deepEqual(store.invalidNames([...KEYS, 'a'.repeat(127), 'A-b.C']), []);
  assert.deepEqual(store.invalidNames(['', 'k8s_x.vault', 'k8s.x/y ü', 'a'.repeat(128)]), [
    ': the Azure secret name would be empty',
    'k8s_x.vault: Azure secret name "k8s_x-vault" has "_"; only 0-9, a-z, A-Z and - are allowed',
    'k8s.x/y ü: Azure secret name "k8s-x/y ü" has "/", " ", "ü"; only 0-9, a-z, A-Z and - are allowed',
    `${'a'.repeat(128)}: Azure secret name "${'a'.repeat(128)}" is 128 characters; at most 127 are allowed`,
  ]);
  assert.deepEqual(
    store.invalidNames(['k8s.a.vault-root-token', 'k8s-a-vault-root-token', 'K8S.A.VAULT-ROOT-TOKEN']),
    [
      'k8s-a-vault-root-token: maps to the same Azure secret as k8s.a.vault-root-token ("k8s-a-vault-root-token"; names are case-insensitive)',
      'K8S.A.VAULT-ROOT-TOKEN: maps to the same Azure secret as k8s.a.vault-root-token ("K8S-A-VAULT-ROOT-TOKEN"; names are case-insensitive)',
    ],
  );
  assert.deepEqual(
    store.invalidNames([KEYS[0]!, KEYS[0]!]),
    [],
    'the same key twice is one secret, not a clash',
  );
});

test('keys are bytes: non-UTF-8 values and trailing newlines survive set → get and the layout decoder', async () => {
  const store = await open();
  const values = [
    Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x80, 0x0a]),
    Buffer.from('3f9a\n\n'),
    Buffer.from('\n'),
    Buffer.from(' hvs.token \r\n'),
  ];
  for (const [i, value] of values.entries()) {
    await store.set(`k8s.bytes.demo.v${i}`, value);
    assert.deepEqual(await store.get(`k8s.bytes.demo.v${i}`), value, `store round trip ${i}`);
    assert.deepEqual(await fx.read(`k8s.bytes.demo.v${i}`), value, `fixture decoder ${i}`);
  }
  await fx.seed('k8s.bytes.demo.seeded', values[0]!);
  assert.deepEqual(await store.get('k8s.bytes.demo.seeded'), values[0]);
});

test('proveWritable re-sets ONE existing secret to its latest version as it is; the value is unchanged', async () => {
  const store = await open();
  const name = 'k8s-p-demo-vault-unseal-key-0';
  fx.emulator.state.put(name, Buffer.from('unseal-0').toString('base64'), 'password');
  const before = fx.emulator.state.latest(name);
  const writes = fx.writes();
  const proof = await store.proveWritable(KEYS);
  assert.equal(fx.writes(), writes + 1, 'one PUT');
  const versions = fx.emulator.state.secrets.get(name)?.versions ?? [];
  assert.equal(versions.length, 2, 'one more version');
  assert.notEqual(versions[1]?.version, before?.version);
  assert.equal(versions[1]?.value, before?.value);
  assert.equal(versions[1]?.contentType, 'password');
  assert.deepEqual(await fx.read(KEYS[1]!), Buffer.from('unseal-0'));
  assert.equal(fx.emulator.state.latest('k8s-p-demo-vault-root-token'), undefined, 'nothing created');
  assert.equal(
    proof.proven,
    `Key Vault set of secret ${name} to the value and attributes of its latest version (one more version, same value)`,
  );
  assert.equal(
    proof.unprovable,
    `Key Vault has no dry run: k8s-p-demo-vault-root-token, k8s-p-demo-vault-unseal-key-1 are proven only insofar as their access (vault access policy or RBAC scope) matches ${name}`,
  );
});

test('proveWritable with no target secret yet writes nothing and says set is unprovable', async () => {
  const store = await open();
  const writes = fx.writes();
  const proof = await store.proveWritable([
    'k8s.none.demo.vault-root-token',
    'k8s.none.demo.vault-unseal-key-0',
  ]);
  assert.equal(fx.writes(), writes);
  assert.match(
    proof.unprovable ?? '',
    /^secrets\/set: Key Vault has no dry run and none of the target secrets exists/,
  );
});

test('proveWritable refused: a TaskError naming the store, key, secret and refusal; reads still work', async () => {
  const store = await open();
  const keys = ['k8s.r.demo.vault-root-token', 'k8s.r.demo.vault-unseal-key-0'];
  const value = Buffer.from('refused-proof-unseal-key');
  await fx.seed(keys[1]!, value);
  fx.faults.refuseWrites = true;
  try {
    const err = await rejection(store.proveWritable(keys));
    assert.equal(err.code, 'keys');
    assert.match(
      err.message,
      new RegExp(
        `^azureKeyVault ${escape(fx.emulator.url)}: cannot write ${escape(keys[1]!)} \\(Azure secret k8s-r-demo-vault-unseal-key-0\\) as client ${fx.clientId}: access denied by Key Vault \\(403 Forbidden: .*does not have secrets set permission`,
      ),
    );
    assert.ok(!err.message.includes(value.toString('base64')) && !err.message.includes(value.toString()));
    assertNoCredential(err.message);
    assert.deepEqual(await store.get(keys[1]!), value, 'reads still work');
  } finally {
    fx.faults.refuseWrites = false;
  }
});

test('a hung vault fails every call within the deadlines, naming mode, store and key', async () => {
  const store = await open({ deadlines: SHORT });
  fx.faults.hang = true;
  try {
    const where = `azureKeyVault ${escape(fx.emulator.url)}`;
    const secret = 'k8s-p-demo-vault-root-token';
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => store.get(KEYS[0]!), `cannot read ${escape(KEYS[0]!)} \\(Azure secret ${secret}\\)`],
      [
        () => store.set(KEYS[0]!, Buffer.from('v')),
        `cannot write ${escape(KEYS[0]!)} \\(Azure secret ${secret}\\)`,
      ],
      [() => store.checkAccess(KEYS), `cannot read ${escape(KEYS[0]!)} \\(Azure secret ${secret}\\)`],
      [() => store.proveWritable(KEYS), `cannot read ${escape(KEYS[0]!)} \\(Azure secret ${secret}\\)`],
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
    fx.faults.hang = false;
  }
});

test('an aborted signal stops a hung call at once', async () => {
  const store = await open();
  fx.faults.hang = true;
  try {
    const ac = new AbortController();
    const requests = fx.emulator.state.requests.length;
    const pending = rejection(store.get(KEYS[0]!, ac.signal));
    while (fx.emulator.state.requests.length === requests) await new Promise((r) => setTimeout(r, 10));
    const abortedAt = Date.now();
    ac.abort();
    const err = await pending;
    assert.ok(Date.now() - abortedAt < 200, `took ${Date.now() - abortedAt} ms`);
    assert.equal(err.code, 'cancelled');
    assert.equal(
      err.message,
      `azureKeyVault ${fx.emulator.url}: read ${KEYS[0]!} (Azure secret k8s-p-demo-vault-root-token) was cancelled`,
    );
  } finally {
    fx.faults.hang = false;
  }
});
