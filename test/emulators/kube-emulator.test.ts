// Tests for the Kubernetes API emulator (test/emulators/kube), driven through the REAL
// @kubernetes/client-node 2.x that src/ uses, so the emulator is checked against the client's
// actual requests and error handling.
//
// What client-node 2.x (2.0.1) needs, found in node_modules/@kubernetes/client-node/dist:
// - API methods take ONE object parameter plus optional ConfigurationOptions:
//   core.readNamespacedSecret({ name, namespace }), custom.getNamespacedCustomObject({ group,
//   version, namespace, plural, name }), custom.replaceNamespacedCustomObjectStatus({ ..., body }).
// - PATCH content type: the generated code picks the FIRST json-like type of its list, i.e.
//   'application/json-patch+json', for every patch* call. A merge-patch object sent without an
//   override is therefore a JSON Patch to the server, which answers 400 BadRequest
//   ("json: cannot unmarshal object into Go value of type jsonpatch.Patch"). Override per call
//   with the second argument: `setHeaderOptions('Content-Type', PatchStrategy.MergePatch)`
//   (both exported by the package; PatchStrategy also has StrategicMergePatch, JsonPatch and
//   ServerSideApply). Custom resources reject strategic merge patch with 415, as a real apiserver does.
// - Errors: non-2xx throws `ApiException` with `code` (HTTP status), `body` and `headers`.
//   `body` is the raw response TEXT (a JSON string of the Status), not a parsed object, except for
//   401, where the generated code throws with `body` undefined (message "Unauthorized").
//   `err.message` embeds the whole body and headers, so callers must not log it.
// - Transport is undici fetch with the kubeconfig's CA; the token goes in `Authorization: Bearer`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator, type KubeObject } from './kube/index.ts';
import { appBinding, backupSession, pod, restoreSession, secret, storageSecret } from './kube/fixtures.ts';

const NS = 'demo';
const STASH = { group: 'stash.appscode.com', version: 'v1beta1' };
const SESSIONS = { ...STASH, plural: 'backupsessions', namespace: NS };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const jsonPatchType = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

let emu: KubeEmulator;
let core: CoreV1Api;
let custom: CustomObjectsApi;

function clients(yaml: string): { core: CoreV1Api; custom: CustomObjectsApi } {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return { core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

// Awaits a call that must fail and returns its ApiException.
async function apiError(call: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) return err;
    throw err;
  }
  assert.fail('expected the call to fail with an ApiException');
}

function statusOf(err: ApiException<unknown>): Record<string, unknown> {
  assert.equal(typeof err.body, 'string');
  return JSON.parse(err.body as string) as Record<string, unknown>;
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

function decoded(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

// A raw HTTPS call, for what client-node cannot express (no token, bad bodies, discovery).
function raw(
  method: string,
  path: string,
  o: { token?: string | null; body?: string; contentType?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? emu.token : o.token;
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (o.contentType !== undefined) headers['Content-Type'] = o.contentType;
  return new Promise((resolve, reject) => {
    const req = request(`${emu.url}${path}`, { method, headers, ca: emu.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

async function getSession(name: string): Promise<KubeObject> {
  return (await custom.getNamespacedCustomObject({ ...SESSIONS, name })) as KubeObject;
}

before(async () => {
  emu = await startKubeEmulator();
  ({ core, custom } = clients(emu.kubeconfigYaml(NS)));
});

after(async () => {
  await emu.close();
});

describe('Secrets', () => {
  test('read returns base64 data and server-set metadata', async () => {
    emu.put(storageSecret({ name: 'repo-secret', namespace: NS, data: { RESTIC_PASSWORD: 'pa ss' } }));
    const s = await core.readNamespacedSecret({ name: 'repo-secret', namespace: NS });
    assert.deepEqual(decoded(s.data), { RESTIC_PASSWORD: 'pa ss' });
    assert.equal(s.type, 'Opaque');
    assert.match(s.metadata?.resourceVersion ?? '', /^\d+$/);
    assert.match(s.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(s.metadata?.creationTimestamp instanceof Date);
  });

  test('create merges stringData into data and drops it; a second create is AlreadyExists', async () => {
    const body = {
      metadata: { name: 'created', labels: { tier: 'a' } },
      data: { a: b64('1') },
      stringData: { b: 'two', a: 'one' },
    };
    const s = await core.createNamespacedSecret({ namespace: NS, body });
    assert.deepEqual(decoded(s.data), { a: 'one', b: 'two' });
    assert.equal(s.stringData, undefined);
    assert.equal(emu.get('v1', 'Secret', NS, 'created')?.['stringData'], undefined);
    const err = await apiError(core.createNamespacedSecret({ namespace: NS, body }));
    assert.equal(err.code, 409);
    assert.deepEqual(statusOf(err), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'secrets "created" already exists',
      reason: 'AlreadyExists',
      details: { name: 'created', kind: 'secrets' },
      code: 409,
    });
  });

  test('merge and strategic merge patches merge maps, null deletes, stringData lands in data', async () => {
    emu.put(secret({ name: 'patched', namespace: NS, data: { keep: 'k', drop: 'd', old: 'o' } }));
    const m = await core.patchNamespacedSecret(
      { name: 'patched', namespace: NS, body: { data: { drop: null }, stringData: { old: 'new' } } },
      merge,
    );
    assert.deepEqual(decoded(m.data), { keep: 'k', old: 'new' });
    const s = await core.patchNamespacedSecret(
      { name: 'patched', namespace: NS, body: { metadata: { labels: { x: 'y' } }, data: { add: b64('a') } } },
      strategic,
    );
    assert.deepEqual(decoded(s.data), { keep: 'k', old: 'new', add: 'a' });
    assert.deepEqual(s.metadata?.labels, { x: 'y' });
    assert.ok(Number(s.metadata?.resourceVersion) > Number(m.metadata?.resourceVersion));
  });

  test('patch without a content-type override is sent as JSON Patch; an object body is a 400', async () => {
    emu.put(secret({ name: 'jp', namespace: NS, data: { a: '1' } }));
    const err = await apiError(
      core.patchNamespacedSecret({ name: 'jp', namespace: NS, body: { data: { b: b64('2') } } }),
    );
    assert.equal(err.code, 400);
    assert.equal(statusOf(err)['reason'], 'BadRequest');
    assert.match(
      String(statusOf(err)['message']),
      /cannot unmarshal object into Go value of type jsonpatch.Patch/,
    );
    const ops = [
      { op: 'test', path: '/data/a', value: b64('1') },
      { op: 'add', path: '/data/b', value: b64('2') },
      { op: 'remove', path: '/data/a' },
    ];
    const ok = await core.patchNamespacedSecret({ name: 'jp', namespace: NS, body: ops }, jsonPatchType);
    assert.deepEqual(decoded(ok.data), { b: '2' });
    const failed = await apiError(
      core.patchNamespacedSecret(
        { name: 'jp', namespace: NS, body: [{ op: 'test', path: '/data/b', value: 'x' }] },
        jsonPatchType,
      ),
    );
    assert.equal(failed.code, 422);
    const log = emu.requests().filter((r) => r.method === 'PATCH' && r.path.includes('/secrets/jp'));
    assert.deepEqual(
      log.map((r) => [r.status, r.contentType]),
      [
        [400, 'application/json-patch+json'],
        [200, 'application/json-patch+json'],
        [422, 'application/json-patch+json'],
      ],
    );
  });

  test('replace: stale resourceVersion is a Conflict, current one succeeds, none is unconditional', async () => {
    const first = emu.put(secret({ name: 'replaced', namespace: NS, data: { v: '1' } }));
    const rv = String(first.metadata['resourceVersion']);
    const next = await core.replaceNamespacedSecret({
      name: 'replaced',
      namespace: NS,
      body: { metadata: { name: 'replaced', resourceVersion: rv }, stringData: { v: '2' } },
    });
    assert.deepEqual(decoded(next.data), { v: '2' });
    assert.equal(next.metadata?.uid, first.metadata['uid']);
    const err = await apiError(
      core.replaceNamespacedSecret({
        name: 'replaced',
        namespace: NS,
        body: { metadata: { name: 'replaced', resourceVersion: rv }, data: {} },
      }),
    );
    assert.equal(err.code, 409);
    assert.equal(
      statusOf(err)['message'],
      'Operation cannot be fulfilled on secrets "replaced": the object has been modified; please apply your changes to the latest version and try again',
    );
    const blind = await core.replaceNamespacedSecret({
      name: 'replaced',
      namespace: NS,
      body: { metadata: { name: 'replaced' }, data: { v: b64('3') } },
    });
    assert.deepEqual(decoded(blind.data), { v: '3' });
  });

  test('invalid base64 in data is a 400, a bad key a 422', async () => {
    const bad = await apiError(
      core.createNamespacedSecret({
        namespace: NS,
        body: { metadata: { name: 'bad64' }, data: { a: 'not base64!' } },
      }),
    );
    assert.equal(bad.code, 400);
    const key = await apiError(
      core.createNamespacedSecret({
        namespace: NS,
        body: { metadata: { name: 'badkey' }, stringData: { 'a b': 'x' } },
      }),
    );
    assert.equal(key.code, 422);
    assert.equal(statusOf(key)['reason'], 'Invalid');
    assert.match(
      String(statusOf(key)['message']),
      /^Secret "badkey" is invalid: data\[a b\]: Invalid value: "a b": a valid config key/,
    );
  });

  test('a missing object is a 404 with the real Status body', async () => {
    const err = await apiError(core.readNamespacedSecret({ name: 'x', namespace: NS }));
    assert.equal(err.code, 404);
    assert.deepEqual(statusOf(err), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'secrets "x" not found',
      reason: 'NotFound',
      details: { name: 'x', kind: 'secrets' },
      code: 404,
    });
    const cr = await apiError(custom.getNamespacedCustomObject({ ...SESSIONS, name: 'nope' }));
    assert.equal(statusOf(cr)['message'], 'backupsessions.stash.appscode.com "nope" not found');
    assert.deepEqual(statusOf(cr)['details'], {
      name: 'nope',
      group: 'stash.appscode.com',
      kind: 'backupsessions',
    });
  });

  test('delete answers a Success Status, then the object is gone', async () => {
    emu.put(secret({ name: 'doomed', namespace: NS, data: {} }));
    await core.deleteNamespacedSecret({ name: 'doomed', namespace: NS });
    assert.equal(emu.get('v1', 'Secret', NS, 'doomed'), undefined);
    assert.equal((await apiError(core.deleteNamespacedSecret({ name: 'doomed', namespace: NS }))).code, 404);
  });
});

describe('authentication and authorization', () => {
  test('a wrong or missing token is a 401 Status', async () => {
    const other = clients(emu.kubeconfigYaml(NS).replace(emu.token, 'wrong-token'));
    const err = await apiError(other.core.readNamespacedSecret({ name: 'repo-secret', namespace: NS }));
    assert.equal(err.code, 401);
    assert.equal(err.body, undefined); // client-node drops the 401 body (see the header comment)
    const res = await raw('GET', `/api/v1/namespaces/${NS}/secrets/repo-secret`, { token: null });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  test('forbid() answers 403 with the RBAC message, only for the matching verb/resource/namespace', async () => {
    const e = await startKubeEmulator({
      user: 'system:serviceaccount:demo:backupconfiguration-vault-backup-0',
    });
    try {
      const c = clients(e.kubeconfigYaml(NS));
      e.put(secret({ name: 'vault-keys', namespace: 'other', data: { k: 'v' } }));
      e.put(secret({ name: 'vault-keys', namespace: NS, data: { k: 'v' } }));
      e.forbid({ verb: 'get', resource: 'secrets', namespace: 'other' });
      e.forbid({ verb: 'update', resource: 'backupsessions/status' });
      const err = await apiError(c.core.readNamespacedSecret({ name: 'vault-keys', namespace: 'other' }));
      assert.equal(err.code, 403);
      assert.equal(
        statusOf(err)['message'],
        'secrets "vault-keys" is forbidden: User "system:serviceaccount:demo:backupconfiguration-vault-backup-0" cannot get resource "secrets" in API group "" in the namespace "other"',
      );
      assert.equal(statusOf(err)['reason'], 'Forbidden');
      assert.deepEqual(
        decoded((await c.core.readNamespacedSecret({ name: 'vault-keys', namespace: NS })).data),
        { k: 'v' },
      );
      e.put(
        backupSession({
          name: 's',
          namespace: NS,
          invokerName: 'b',
          targetRef: { name: 'vault', namespace: NS },
        }),
      );
      const s = (await c.custom.getNamespacedCustomObject({ ...SESSIONS, name: 's' })) as KubeObject;
      const st = await apiError(
        c.custom.replaceNamespacedCustomObjectStatus({ ...SESSIONS, name: 's', body: s }),
      );
      assert.match(
        String(statusOf(st)['message']),
        /cannot update resource "backupsessions\/status" in API group "stash.appscode.com" in the namespace "demo"$/,
      );
    } finally {
      await e.close();
    }
  });
});

describe('custom resources', () => {
  const binding = appBinding({
    name: 'vault',
    namespace: NS,
    caBundlePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    backupTokenSecret: 'vault-backup-token',
    keysSecret: 'vault-keys',
    secretShares: 5,
    secretThreshold: 3,
    keyPrefix: 'k8s.kubevault.com.demo.vault',
  });

  test('AppBinding fixture reads back through getNamespacedCustomObject in KubeVault shape', async () => {
    emu.put(binding);
    const ab = (await custom.getNamespacedCustomObject({
      group: 'appcatalog.appscode.com',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'appbindings',
      name: 'vault',
    })) as {
      kind: string;
      metadata: { generation: number };
      spec: Record<string, Record<string, unknown>>;
    };
    assert.equal(ab.kind, 'AppBinding');
    assert.equal(ab.metadata.generation, 1);
    assert.equal(ab.spec['type'], 'kubevault.com/vaultserver');
    assert.deepEqual(ab.spec['appRef'], {
      apiGroup: 'kubevault.com',
      kind: 'VaultServer',
      name: 'vault',
      namespace: NS,
    });
    assert.deepEqual(ab.spec['clientConfig']?.['service'], { name: 'vault', port: 8200, scheme: 'https' });
    assert.match(
      Buffer.from(String(ab.spec['clientConfig']?.['caBundle']), 'base64').toString(),
      /BEGIN CERTIFICATE/,
    );
    const p = ab.spec['parameters'] as {
      kind: string;
      backend: string;
      unsealer: unknown;
      stash: { addon: { backupTask: unknown } };
    };
    assert.equal(p.kind, 'VaultServerConfiguration');
    assert.equal(p.backend, 'raft');
    assert.deepEqual(p.unsealer, {
      mode: { kubernetesSecret: { secretName: 'vault-keys' } },
      secretShares: 5,
      secretThreshold: 3,
    });
    assert.deepEqual(p.stash.addon.backupTask, {
      name: 'vault-backup-1.10.3',
      params: [{ name: 'keyPrefix', value: 'k8s.kubevault.com.demo.vault' }],
    });
  });

  test('status writes: stale resourceVersion is 409, fresh is 200 and changes only .status', async () => {
    emu.put(
      backupSession({
        name: 'bs-1',
        namespace: NS,
        invokerName: 'vault-backup',
        targetRef: { name: 'vault', namespace: NS },
      }),
    );
    const s = await getSession('bs-1');
    const rv = String(s.metadata['resourceVersion']);
    const cond = {
      type: 'BackendRepositoryInitialized',
      status: 'True',
      reason: 'BackendRepositoryFound',
      message: 'Repository exist in the backend.',
      lastTransitionTime: '2026-01-02T03:04:05Z',
    };
    const status = { ...(s['status'] as Record<string, unknown>), conditions: [cond] };
    const body = {
      ...s,
      spec: { invoker: { apiGroup: 'x', kind: 'X', name: 'changed' } },
      metadata: { ...s.metadata, labels: { sneaky: 'yes' } },
      status,
    };
    const stale = await apiError(
      custom.replaceNamespacedCustomObjectStatus({
        ...SESSIONS,
        name: 'bs-1',
        body: { ...body, metadata: { ...body.metadata, resourceVersion: '1' } },
      }),
    );
    assert.equal(stale.code, 409);
    assert.equal(
      statusOf(stale)['message'],
      'Operation cannot be fulfilled on backupsessions.stash.appscode.com "bs-1": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.deepEqual(statusOf(stale)['details'], {
      name: 'bs-1',
      group: 'stash.appscode.com',
      kind: 'backupsessions',
    });
    const out = (await custom.replaceNamespacedCustomObjectStatus({
      ...SESSIONS,
      name: 'bs-1',
      body,
    })) as KubeObject;
    assert.ok(Number(out.metadata['resourceVersion']) > Number(rv));
    const stored = await getSession('bs-1');
    assert.deepEqual((stored['status'] as { conditions: unknown[] }).conditions, [cond]);
    assert.deepEqual(stored['spec'], s['spec']);
    assert.equal(
      stored.metadata['labels'] && (stored.metadata['labels'] as Record<string, string>)['sneaky'],
      undefined,
    );
    assert.equal(stored.metadata['generation'], 1);
  });

  test('main-resource writes ignore .status; a spec change bumps generation; no resourceVersion is 422', async () => {
    emu.put(
      backupSession({
        name: 'bs-2',
        namespace: NS,
        invokerName: 'a',
        targetRef: { name: 'vault', namespace: NS },
      }),
    );
    const s = await getSession('bs-2');
    const body = {
      ...s,
      spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'b' } },
      status: { phase: 'Failed' },
    };
    const out = (await custom.replaceNamespacedCustomObject({
      ...SESSIONS,
      name: 'bs-2',
      body,
    })) as KubeObject;
    assert.equal((out['status'] as { phase: string }).phase, 'Running');
    assert.equal(out.metadata['generation'], 2);
    const { resourceVersion: _rv, ...noRv } = out.metadata;
    const err = await apiError(
      custom.replaceNamespacedCustomObject({ ...SESSIONS, name: 'bs-2', body: { ...out, metadata: noRv } }),
    );
    assert.equal(err.code, 422);
    assert.equal(
      statusOf(err)['message'],
      'BackupSession.stash.appscode.com "bs-2" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );
    const patched = (await custom.patchNamespacedCustomObjectStatus(
      { ...SESSIONS, name: 'bs-2', body: { status: { phase: 'Succeeded' } } },
      merge,
    )) as KubeObject;
    assert.equal((patched['status'] as { phase: string }).phase, 'Succeeded');
    assert.equal((patched['status'] as { targets: unknown[] }).targets.length, 1);
    const smp = await apiError(
      custom.patchNamespacedCustomObject(
        { ...SESSIONS, name: 'bs-2', body: { metadata: { labels: { a: 'b' } } } },
        strategic,
      ),
    );
    assert.equal(smp.code, 415);
  });

  test('conflictNextStatusWrites: the next status writes conflict and bump the resourceVersion; a re-read retry works', async () => {
    emu.put(
      backupSession({
        name: 'bs-3',
        namespace: NS,
        invokerName: 'a',
        targetRef: { name: 'vault', namespace: NS },
      }),
    );
    emu.conflictNextStatusWrites(2);
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const s = await getSession('bs-3');
      const body = { ...s, status: { ...(s['status'] as object), phase: 'Succeeded' } };
      try {
        await custom.replaceNamespacedCustomObjectStatus({ ...SESSIONS, name: 'bs-3', body });
        break;
      } catch (err) {
        assert.ok(err instanceof ApiException && err.code === 409 && attempts < 5);
      }
    }
    assert.equal(attempts, 3);
    assert.equal(
      (emu.get('stash.appscode.com/v1beta1', 'BackupSession', NS, 'bs-3')?.['status'] as { phase: string })
        .phase,
      'Succeeded',
    );
    const statuses = emu
      .requests()
      .filter((r) => r.method === 'PUT' && r.path.endsWith('/bs-3/status'))
      .map((r) => r.status);
    assert.deepEqual(statuses, [409, 409, 200]);
  });

  test('CRD schema: missing required and wrong types are 422 Invalid with causes; unknown fields are pruned; defaults applied', async () => {
    const body = {
      apiVersion: 'stash.appscode.com/v1beta1',
      kind: 'BackupSession',
      metadata: { name: 'bad' },
      spec: { invoker: { kind: 'BackupConfiguration' }, retryLeft: 'three' },
    };
    const err = await apiError(custom.createNamespacedCustomObject({ ...SESSIONS, body }));
    assert.equal(err.code, 422);
    const st = statusOf(err);
    assert.equal(st['reason'], 'Invalid');
    assert.equal(
      st['message'],
      'BackupSession.stash.appscode.com "bad" is invalid: [spec.invoker.name: Required value, spec.retryLeft: Invalid value: "string": spec.retryLeft in body must be of type integer: "string"]',
    );
    assert.deepEqual((st['details'] as { causes: unknown[] }).causes[0], {
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.invoker.name',
    });
    const s = emu.put(
      backupSession({
        name: 'bs-4',
        namespace: NS,
        invokerName: 'a',
        targetRef: { name: 'vault', namespace: NS },
      }),
    );
    const enumErr = await apiError(
      custom.patchNamespacedCustomObjectStatus(
        { ...SESSIONS, name: 'bs-4', body: { status: { phase: 'Bogus' } } },
        merge,
      ),
    );
    assert.match(
      String(statusOf(enumErr)['message']),
      /status.phase: Unsupported value: "Bogus": supported values: "Pending", "Skipped", "Running"/,
    );
    assert.equal(s.metadata['generation'], 1);
    assert.throws(
      () => emu.put({ ...s, metadata: { name: 'bs-5', namespace: NS }, spec: { invoker: {} } }),
      /is invalid: \[spec.invoker.kind: Required value, spec.invoker.name: Required value\]/,
    );
    const pruned = emu.put({
      ...backupSession({
        name: 'bs-6',
        namespace: NS,
        invokerName: 'a',
        targetRef: { name: 'v', namespace: NS },
      }),
      extra: 1,
      spec: { invoker: { kind: 'K', name: 'n', bogus: true } },
    });
    assert.equal(pruned['extra'], undefined);
    assert.deepEqual(pruned['spec'], { invoker: { kind: 'K', name: 'n' } });
    const rs = emu.put({
      ...restoreSession({
        name: 'restore',
        namespace: NS,
        targetRef: { name: 'vault', namespace: NS },
        repository: 'gcs-repo',
      }),
      spec: { repository: { name: 'r' } },
    });
    assert.deepEqual(rs['spec'], { driver: 'Restic', repository: { name: 'r' } });
  });

  test('every fixture validates against its CRD and round-trips through put/get', () => {
    const fixtures = [
      binding,
      appBinding({
        name: 'by-url',
        namespace: NS,
        url: 'https://vault.demo.svc:8200',
        insecureSkipTLSVerify: true,
        serverName: 'vault',
        backupTokenSecret: 't',
        keysSecret: 'k',
        secretShares: 1,
        secretThreshold: 1,
        keyPrefix: 'p',
        secretTransforms: [{ renameKey: { from: 'a', to: 'token' } }],
        extraParameters: { isolateTenants: true },
      }),
      backupSession({
        name: 'fx',
        namespace: NS,
        invokerName: 'a',
        targetRef: { name: 'vault', namespace: NS },
        preBackupActions: [],
        conditions: [{ type: 'X', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      }),
      restoreSession({
        name: 'fx',
        namespace: NS,
        targetRef: { name: 'vault' },
        repository: { name: 'r', namespace: NS },
        rules: [{ snapshots: ['abc123'] }],
      }),
      pod({ name: 'fx', namespace: NS, phase: 'Running' }),
      storageSecret({ name: 'fx', namespace: NS, data: { a: 'b' } }),
    ];
    for (const f of fixtures) {
      const stored = emu.put(f);
      const back = emu.get(f.apiVersion, f.kind, NS, f.metadata.name);
      assert.deepEqual(back, stored);
      assert.deepEqual(
        (back as Record<string, unknown>)['spec'] ?? null,
        f['spec'] ?? null,
        `${f.kind} spec changed by pruning`,
      );
    }
    assert.deepEqual(
      (
        emu.get('appcatalog.appscode.com/v1alpha1', 'AppBinding', NS, 'by-url')?.['spec'] as {
          secretTransforms: unknown;
        }
      ).secretTransforms,
      [{ renameKey: { from: 'a', to: 'token' } }],
    );
  });

  test('list returns an XList; labelSelector filters; cluster-scoped Task readable', async () => {
    const list = (await custom.listNamespacedCustomObject({
      ...SESSIONS,
      labelSelector: 'stash.appscode.com/invoker-name=vault-backup',
    })) as { kind: string; items: KubeObject[]; metadata: { resourceVersion: string } };
    assert.equal(list.kind, 'BackupSessionList');
    assert.deepEqual(
      list.items.map((i) => i.metadata.name),
      ['bs-1'],
    );
    assert.equal(list.items[0]?.kind, 'BackupSession');
    assert.match(list.metadata.resourceVersion, /^\d+$/);
    const secrets = await core.listNamespacedSecret({
      namespace: NS,
      fieldSelector: 'metadata.name=repo-secret',
    });
    assert.deepEqual(
      secrets.items.map((s) => s.metadata?.name),
      ['repo-secret'],
    );
    emu.put({
      apiVersion: 'stash.appscode.com/v1beta1',
      kind: 'Task',
      metadata: { name: 'vault-backup-1.10.3' },
      spec: { steps: [{ name: 'vault-backup-1.10.3' }] },
    });
    const task = (await custom.getClusterCustomObject({
      ...STASH,
      plural: 'tasks',
      name: 'vault-backup-1.10.3',
    })) as KubeObject;
    assert.equal(task.metadata.namespace, undefined);
  });
});

describe('pods, faults, hooks, plumbing', () => {
  test('Pod get returns its phase', async () => {
    emu.put(pod({ name: 'lock-holder', namespace: NS, phase: 'Succeeded' }));
    const p = await core.readNamespacedPod({ name: 'lock-holder', namespace: NS });
    assert.equal(p.status?.phase, 'Succeeded');
  });

  test('failNext injects a Status error the given number of times', async () => {
    emu.failNext({ method: 'GET', pathIncludes: '/pods/lock-holder', status: 503, times: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await apiError(core.readNamespacedPod({ name: 'lock-holder', namespace: NS }));
      assert.equal(err.code, 503);
      assert.equal(statusOf(err)['reason'], 'ServiceUnavailable');
    }
    emu.failNext({
      pathIncludes: '/secrets/repo-secret',
      status: 500,
      reason: 'InternalError',
      message: 'etcdserver: request timed out',
    });
    assert.equal(
      statusOf(await apiError(core.readNamespacedSecret({ name: 'repo-secret', namespace: NS })))['message'],
      'etcdserver: request timed out',
    );
    assert.equal(
      (await core.readNamespacedPod({ name: 'lock-holder', namespace: NS })).status?.phase,
      'Succeeded',
    );
  });

  test('onRequest sees every request and can flip a condition before the poll is answered', async () => {
    emu.put(
      backupSession({
        name: 'polled',
        namespace: NS,
        invokerName: 'a',
        targetRef: { name: 'vault', namespace: NS },
      }),
    );
    const seen: string[] = [];
    emu.onRequest((method, path) => {
      seen.push(`${method} ${path}`);
      const s = emu.get('stash.appscode.com/v1beta1', 'BackupSession', NS, 'polled');
      if (
        method === 'GET' &&
        path.endsWith('/backupsessions/polled') &&
        s !== undefined &&
        seen.length === 1
      ) {
        const cond = {
          type: 'BackendRepositoryInitialized',
          status: 'True',
          reason: 'BackendRepositoryFound',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        };
        emu.put({ ...s, status: { ...(s['status'] as object), conditions: [cond] } });
      }
    });
    const s = await getSession('polled');
    assert.equal(
      (s['status'] as { conditions: Array<{ type: string }> }).conditions[0]?.type,
      'BackendRepositoryInitialized',
    );
    assert.deepEqual(seen, [`GET /apis/stash.appscode.com/v1beta1/namespaces/${NS}/backupsessions/polled`]);
  });

  test('requests() logs method, path, status and content type, never bodies', () => {
    const log = emu.requests();
    assert.ok(log.length > 10);
    assert.ok(
      log.every((r) => Object.keys(r).every((k) => ['method', 'path', 'status', 'contentType'].includes(k))),
    );
    assert.ok(!JSON.stringify(log).includes(b64('one')));
  });

  test('discovery, unknown paths and the kubeconfig file', async () => {
    const v = await raw('GET', '/version');
    assert.equal(v.status, 200);
    assert.equal(v.json['major'], '1');
    const groups = await raw('GET', '/apis');
    assert.ok(
      (groups.json['groups'] as Array<{ name: string }>).some((g) => g.name === 'stash.appscode.com'),
    );
    const unknown = await raw('GET', '/apis/example.com/v1/namespaces/demo/widgets/x');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json['message'], 'the server could not find the requested resource');
    const ns = await core.readNamespace({ name: 'anything' });
    assert.equal(ns.status?.phase, 'Active');
    const dir = mkdtempSync(join(tmpdir(), 'kube-emu-'));
    try {
      const path = join(dir, 'kubeconfig');
      emu.writeKubeconfig(path, 'other');
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const kc = new KubeConfig();
      kc.loadFromFile(path);
      assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'other');
      assert.equal(kc.getCurrentUser()?.token, emu.token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
