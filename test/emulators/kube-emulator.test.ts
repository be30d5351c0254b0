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
//   override is therefore a JSON Patch to the server, which answers 400 BadRequest ("error decoding
//   patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"). Override per call
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
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { Agent, request as httpsCall } from 'undici';
import { startKubeEmulator, type KubeEmulator, type KubeObject } from './kube/index.ts';
import { appBinding, backupSession, pod, restoreSession, secret, storageSecret } from './kube/fixtures.ts';
import {
  bindServiceAccount,
  loadManifests,
  stashBackupJobClusterRole,
  stashRestoreJobClusterRole,
} from './kube/stash-rbac.ts';

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

interface CallOptions {
  token?: string | null;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}

const agents = new Map<KubeEmulator, Agent>();

// A real HTTPS request with undici, trusting only the emulator's CA; `body` objects are sent as JSON.
async function call(e: KubeEmulator, method: string, path: string, o: CallOptions = {}): Promise<CallResult> {
  let agent = agents.get(e);
  if (agent === undefined) {
    agent = new Agent({ connect: { ca: e.caPem } });
    agents.set(e, agent);
  }
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? e.token : o.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (o.body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
  const body =
    o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const res = await httpsCall(`${e.url}${path}`, {
    method: method as 'GET',
    headers,
    dispatcher: agent,
    ...(body !== undefined ? { body } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  });
  const text = await res.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // plain-text answers keep json empty
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

async function closeAgent(e: KubeEmulator): Promise<void> {
  await agents.get(e)?.close();
  agents.delete(e);
}

async function getSession(name: string): Promise<KubeObject> {
  return (await custom.getNamespacedCustomObject({ ...SESSIONS, name })) as KubeObject;
}

before(async () => {
  emu = await startKubeEmulator();
  ({ core, custom } = clients(emu.kubeconfigYaml(NS)));
});

after(async () => {
  await closeAgent(emu);
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
    assert.equal(
      statusOf(err)['message'],
      'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
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
      'backupsessions.stash.appscode.com "bs-2" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
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

  test('requests() logs method, path, status, content type and user, never bodies', () => {
    const log = emu.requests();
    assert.ok(log.length > 10);
    const keys = ['method', 'path', 'status', 'contentType', 'user', 'dryRun', 'fault'];
    assert.ok(log.every((r) => Object.keys(r).every((k) => keys.includes(k))));
    assert.ok(log.some((r) => r.user === 'system:serviceaccount:default:stash-vault'));
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

// ---------------------------------------------------------------------------------------------
// RBAC, access reviews, dry-run, Secret validation, JSON patch strictness and network faults.
// Wording and status codes follow the apiserver sources named in each emulator file.

const RESTORE_SA = 'restoresession-vault-restore-0';
const RESTORE_USER = `system:serviceaccount:${NS}:${RESTORE_SA}`;
const BACKUP_SA = 'backupconfiguration-vault-backup-0';
const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

function ssar(spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec };
}

// Asks the emulator (as `token`) whether it may do `attrs`, the way `kubectl auth can-i` does.
async function canI(e: KubeEmulator, token: string, attrs: Record<string, string>): Promise<boolean> {
  const r = await call(e, 'POST', SSAR_PATH, { token, body: ssar({ resourceAttributes: attrs }) });
  assert.equal(r.status, 201, r.text);
  return (r.json['status'] as { allowed: boolean }).allowed;
}

function role(
  kind: 'Role' | 'ClusterRole',
  name: string,
  namespace: string | undefined,
  rules: unknown[],
): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
    rules,
  };
}

function binding(
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  namespace: string | undefined,
  roleRef: { kind: string; name: string },
  subjects: unknown[],
): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
    subjects,
  };
}

describe('RBAC', () => {
  let rb: KubeEmulator;
  before(async () => {
    rb = await startKubeEmulator();
  });
  after(async () => {
    await closeAgent(rb);
    await rb.close();
  });

  test('a restore job may get its Secret but not patch it: the apiserver exact 403 Status', async () => {
    rb.put(stashRestoreJobClusterRole());
    const token = bindServiceAccount(rb, {
      namespace: NS,
      serviceAccount: RESTORE_SA,
      clusterRole: 'stash-restore-job',
    });
    rb.put(secret({ name: 'vault-keys', namespace: NS, data: { k: 'v' } }));
    const c = clients(rb.kubeconfigYaml(NS, token));
    const read = await c.core.readNamespacedSecret({ name: 'vault-keys', namespace: NS });
    assert.deepEqual(decoded(read.data), { k: 'v' });
    const err = await apiError(
      c.core.patchNamespacedSecret(
        { name: 'vault-keys', namespace: NS, body: { data: { k: b64('w') } } },
        merge,
      ),
    );
    assert.equal(err.code, 403);
    assert.deepEqual(statusOf(err), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'secrets "vault-keys" is forbidden: User "system:serviceaccount:demo:restoresession-vault-restore-0" cannot patch resource "secrets" in API group "" in the namespace "demo"',
      reason: 'Forbidden',
      details: { name: 'vault-keys', kind: 'secrets' },
      code: 403,
    });
    assert.deepEqual(decoded(rb.get('v1', 'Secret', NS, 'vault-keys')?.['data'] as Record<string, string>), {
      k: 'v',
    });
    const patches = rb
      .requests()
      .filter((r) => r.method === 'PATCH' && r.path.endsWith('/secrets/vault-keys'));
    assert.deepEqual(
      patches.map((r) => [r.status, r.user]),
      [[403, RESTORE_USER]],
    );
  });

  test('collection, cluster-scope, subresource, non-resource and unknown-resource denials use the apiserver wording', async () => {
    const user = 'system:serviceaccount:demo:nobody';
    const token = rb.addUser(user);
    const denied = async (method: string, path: string, body?: unknown): Promise<CallResult> => {
      const r = await call(rb, method, path, { token, ...(body !== undefined ? { body } : {}) });
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
      assert.equal(r.json['reason'], 'Forbidden');
      return r;
    };
    const list = await denied('GET', `/api/v1/namespaces/${NS}/secrets`);
    assert.equal(
      list.json['message'],
      `secrets is forbidden: User "${user}" cannot list resource "secrets" in API group "" in the namespace "demo"`,
    );
    assert.deepEqual(list.json['details'], { kind: 'secrets' });
    assert.equal(
      (await denied('GET', '/api/v1/secrets')).json['message'],
      `secrets is forbidden: User "${user}" cannot list resource "secrets" in API group "" at the cluster scope`,
    );
    assert.match(
      String((await denied('GET', `/api/v1/namespaces/${NS}/secrets?watch=true`)).json['message']),
      /cannot watch resource "secrets"/,
    );
    assert.match(
      String((await denied('DELETE', `/api/v1/namespaces/${NS}/secrets`)).json['message']),
      /cannot deletecollection resource "secrets"/,
    );
    assert.equal(
      (await denied('POST', `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: 'x' } })).json['message'],
      `secrets is forbidden: User "${user}" cannot create resource "secrets" in API group "" in the namespace "demo"`,
    );
    const cluster = await denied('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin');
    assert.equal(
      cluster.json['message'],
      `clusterroles.rbac.authorization.k8s.io "cluster-admin" is forbidden: User "${user}" cannot get resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope`,
    );
    assert.deepEqual(cluster.json['details'], {
      name: 'cluster-admin',
      group: 'rbac.authorization.k8s.io',
      kind: 'clusterroles',
    });
    const status = await denied(
      'PUT',
      `/apis/stash.appscode.com/v1beta1/namespaces/${NS}/backupsessions/s/status`,
      {},
    );
    assert.equal(
      status.json['message'],
      `backupsessions.stash.appscode.com "s" is forbidden: User "${user}" cannot update resource "backupsessions/status" in API group "stash.appscode.com" in the namespace "demo"`,
    );
    assert.deepEqual(status.json['details'], {
      name: 's',
      group: 'stash.appscode.com',
      kind: 'backupsessions',
    });
    const path = await denied('GET', '/logs');
    assert.equal(path.json['message'], `forbidden: User "${user}" cannot get path "/logs"`);
    assert.deepEqual(path.json['details'], {});
    // Authorization comes before routing: an unknown resource is a 403, not a 404.
    assert.equal(
      (await denied('GET', `/apis/example.com/v1/namespaces/${NS}/widgets/x`)).json['message'],
      `widgets.example.com "x" is forbidden: User "${user}" cannot get resource "widgets" in API group "example.com" in the namespace "demo"`,
    );
    // The bootstrap system:discovery binding lets every authenticated user read discovery.
    assert.equal((await call(rb, 'GET', '/apis', { token })).status, 200);
    assert.equal((await call(rb, 'GET', '/version', { token })).status, 200);
  });

  test('verbs, apiGroups, resources, subresources, wildcards and resourceNames match like the RBAC authorizer', async () => {
    const ns = 'rbac-a';
    rb.put(
      role('Role', 'matcher', ns, [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
        {
          apiGroups: ['stash.appscode.com'],
          resources: ['backupsessions/status'],
          verbs: ['update', 'patch'],
        },
        { apiGroups: ['*'], resources: ['*/scale'], verbs: ['get'] },
        { apiGroups: ['apps'], resources: ['*'], verbs: ['*'] },
        {
          apiGroups: [''],
          resources: ['configmaps'],
          resourceNames: ['cm-a'],
          verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'],
        },
      ]),
    );
    rb.put(
      binding('RoleBinding', 'matcher', ns, { kind: 'Role', name: 'matcher' }, [
        { kind: 'User', name: 'alice' },
      ]),
    );
    const token = rb.addUser('alice');
    const cases: Array<[Record<string, string>, boolean]> = [
      [{ verb: 'get', resource: 'secrets' }, true],
      [{ verb: 'list', resource: 'secrets' }, false],
      [{ verb: 'get', resource: 'secrets', group: 'batch' }, false],
      [{ verb: 'get', resource: 'configmaps', name: 'other' }, false],
      [
        { verb: 'update', group: 'stash.appscode.com', resource: 'backupsessions', subresource: 'status' },
        true,
      ],
      [
        { verb: 'patch', group: 'stash.appscode.com', resource: 'backupsessions', subresource: 'status' },
        true,
      ],
      [{ verb: 'update', group: 'stash.appscode.com', resource: 'backupsessions' }, false],
      [
        { verb: 'get', group: 'stash.appscode.com', resource: 'backupsessions', subresource: 'status' },
        false,
      ],
      [{ verb: 'get', group: 'batch', resource: 'jobs', subresource: 'scale' }, true],
      [{ verb: 'get', group: 'batch', resource: 'jobs' }, false],
      [{ verb: 'deletecollection', group: 'apps', resource: 'statefulsets' }, true],
      [{ verb: 'escalate', group: 'apps', resource: 'anything' }, true],
      [{ verb: 'get', resource: 'configmaps', name: 'cm-a' }, true],
      [{ verb: 'delete', resource: 'configmaps', name: 'cm-a' }, true],
      [{ verb: 'get', resource: 'configmaps', name: 'cm-b' }, false],
      [{ verb: 'create', resource: 'configmaps' }, false],
      [{ verb: 'list', resource: 'configmaps' }, false],
      [{ verb: 'list', resource: 'configmaps', name: 'cm-a' }, true],
    ];
    for (const [attrs, want] of cases)
      assert.equal(await canI(rb, token, { namespace: ns, ...attrs }), want, JSON.stringify(attrs));
    assert.equal(await canI(rb, token, { namespace: 'rbac-b', verb: 'get', resource: 'secrets' }), false);
    // resourceNames never grant a create (the name is not known to the authorizer) nor a plain list...
    rb.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm-a', namespace: ns },
      data: { a: '1' },
    });
    const create = await call(rb, 'POST', `/api/v1/namespaces/${ns}/configmaps`, {
      token,
      body: { metadata: { name: 'cm-a' } },
    });
    assert.equal(create.status, 403);
    assert.equal((await call(rb, 'GET', `/api/v1/namespaces/${ns}/configmaps`, { token })).status, 403);
    // ...but a list or get naming the object does match them.
    const named = await call(
      rb,
      'GET',
      `/api/v1/namespaces/${ns}/configmaps?fieldSelector=metadata.name%3Dcm-a`,
      {
        token,
      },
    );
    assert.equal(named.status, 200, named.text);
    assert.equal((await call(rb, 'GET', `/api/v1/namespaces/${ns}/configmaps/cm-a`, { token })).status, 200);
    assert.equal(
      (
        await call(rb, 'GET', `/api/v1/namespaces/${ns}/configmaps?fieldSelector=metadata.name%3Dcm-b`, {
          token,
        })
      ).json['message'],
      'configmaps "cm-b" is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "rbac-a"',
    );
  });

  test('a RoleBinding to a ClusterRole grants only in its namespace; a ClusterRoleBinding grants everywhere', async () => {
    rb.put(
      role('ClusterRole', 'secret-reader', undefined, [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] },
      ]),
    );
    rb.put(secret({ name: 's', namespace: 'ns-1', data: { a: 'b' } }));
    rb.put(secret({ name: 's', namespace: 'ns-2', data: { a: 'b' } }));
    const local = rb.addUser('local-reader');
    rb.put(
      binding('RoleBinding', 'local', 'ns-1', { kind: 'ClusterRole', name: 'secret-reader' }, [
        { kind: 'User', name: 'local-reader' },
      ]),
    );
    assert.equal((await call(rb, 'GET', '/api/v1/namespaces/ns-1/secrets/s', { token: local })).status, 200);
    assert.equal((await call(rb, 'GET', '/api/v1/namespaces/ns-2/secrets/s', { token: local })).status, 403);
    assert.equal((await call(rb, 'GET', '/api/v1/secrets', { token: local })).status, 403);
    const global = rb.addUser('global-reader');
    rb.put(
      binding('ClusterRoleBinding', 'global', undefined, { kind: 'ClusterRole', name: 'secret-reader' }, [
        { kind: 'User', name: 'global-reader' },
      ]),
    );
    assert.equal((await call(rb, 'GET', '/api/v1/namespaces/ns-2/secrets/s', { token: global })).status, 200);
    const all = await call(rb, 'GET', '/api/v1/secrets', { token: global });
    assert.equal(all.status, 200);
    assert.ok((all.json['items'] as unknown[]).length >= 2);
  });

  test('subjects: ServiceAccount (namespace defaulted in RoleBindings), User, and the groups service accounts and everyone are in', async () => {
    const ns = 'subjects';
    const reader = (name: string): KubeObject =>
      role('Role', name, ns, [{ apiGroups: [''], resources: [name], verbs: ['get'] }]);
    for (const r of ['pods', 'configmaps', 'secrets', 'events', 'endpoints']) rb.put(reader(r));
    rb.put(
      binding('RoleBinding', 'sa', ns, { kind: 'Role', name: 'pods' }, [
        { kind: 'ServiceAccount', name: 'job' },
      ]),
    );
    rb.put(
      binding('RoleBinding', 'sa-group', ns, { kind: 'Role', name: 'configmaps' }, [
        { kind: 'Group', name: `system:serviceaccounts:${ns}` },
      ]),
    );
    rb.put(
      binding('RoleBinding', 'all-sa', ns, { kind: 'Role', name: 'secrets' }, [
        { kind: 'Group', name: 'system:serviceaccounts' },
      ]),
    );
    rb.put(
      binding('RoleBinding', 'everyone', ns, { kind: 'Role', name: 'events' }, [
        { kind: 'Group', name: 'system:authenticated' },
      ]),
    );
    rb.put(
      binding('RoleBinding', 'dave', ns, { kind: 'Role', name: 'endpoints' }, [
        { kind: 'User', name: 'dave' },
      ]),
    );
    const job = rb.addUser(`system:serviceaccount:${ns}:job`);
    const other = rb.addUser('system:serviceaccount:elsewhere:job');
    const dave = rb.addUser('dave');
    const can = (token: string, resource: string): Promise<boolean> =>
      canI(rb, token, { namespace: ns, verb: 'get', resource });
    assert.deepEqual(
      await Promise.all(['pods', 'configmaps', 'secrets', 'events', 'endpoints'].map((r) => can(job, r))),
      [true, true, true, true, false],
    );
    assert.deepEqual(
      await Promise.all(['pods', 'configmaps', 'secrets', 'events', 'endpoints'].map((r) => can(other, r))),
      [false, false, true, true, false],
    );
    assert.deepEqual(
      await Promise.all(['pods', 'configmaps', 'secrets', 'events', 'endpoints'].map((r) => can(dave, r))),
      [false, false, false, true, true],
    );
  });

  test('a binding to a missing role adds the lookup error to the 403', async () => {
    rb.put(
      binding('RoleBinding', 'dangling', 'ns-3', { kind: 'ClusterRole', name: 'stash-backup-job-missing' }, [
        { kind: 'User', name: 'erin' },
      ]),
    );
    const token = rb.addUser('erin');
    const r = await call(rb, 'GET', '/api/v1/namespaces/ns-3/secrets/x', { token });
    assert.equal(r.status, 403);
    assert.equal(
      r.json['message'],
      'secrets "x" is forbidden: User "erin" cannot get resource "secrets" in API group "" in the namespace "ns-3": RBAC: clusterrole.rbac.authorization.k8s.io "stash-backup-job-missing" not found',
    );
  });

  test('Stash job roles and deploy/force-restore-rbac.yaml: only the extra Role lets the restore job write its Secret', async () => {
    rb.put(stashBackupJobClusterRole());
    rb.put(stashRestoreJobClusterRole());
    const backup = bindServiceAccount(rb, {
      namespace: NS,
      serviceAccount: BACKUP_SA,
      clusterRole: 'stash-backup-job',
    });
    const restore = bindServiceAccount(rb, {
      namespace: NS,
      serviceAccount: RESTORE_SA,
      clusterRole: 'stash-restore-job',
    });
    const b = (attrs: Record<string, string>): Promise<boolean> =>
      canI(rb, backup, { namespace: NS, ...attrs });
    assert.equal(
      await b({
        verb: 'update',
        group: 'stash.appscode.com',
        resource: 'backupsessions',
        subresource: 'status',
      }),
      true,
    );
    assert.equal(await b({ verb: 'get', group: 'appcatalog.appscode.com', resource: 'appbindings' }), true);
    assert.equal(await b({ verb: 'get', resource: 'secrets' }), true);
    assert.equal(await b({ verb: 'patch', resource: 'secrets' }), false);
    assert.equal(await canI(rb, backup, { namespace: 'other', verb: 'get', resource: 'secrets' }), false);
    rb.put(secret({ name: 'vault-keys', namespace: NS, data: { k: 'v' } }));
    const patch = (): Promise<CallResult> =>
      call(rb, 'PATCH', `/api/v1/namespaces/${NS}/secrets/vault-keys`, {
        token: restore,
        body: { data: { k: b64('new') } },
        contentType: 'application/merge-patch+json',
      });
    assert.equal((await patch()).status, 403);
    const manifests = loadManifests(join(import.meta.dirname, '../../deploy/force-restore-rbac.yaml'));
    assert.deepEqual(
      manifests.map((m) => m.kind),
      ['Role', 'RoleBinding'],
    );
    for (const m of manifests) rb.put(m);
    assert.equal((await patch()).status, 200);
    assert.deepEqual(decoded(rb.get('v1', 'Secret', NS, 'vault-keys')?.['data'] as Record<string, string>), {
      k: 'new',
    });
    const create = await call(rb, 'POST', `/api/v1/namespaces/${NS}/secrets`, {
      token: restore,
      body: { metadata: { name: 'vault-root-token' }, stringData: { token: 't' } },
    });
    assert.equal(create.status, 201);
    assert.equal(
      (await call(rb, 'DELETE', `/api/v1/namespaces/${NS}/secrets/vault-keys`, { token: restore })).status,
      403,
    );
  });

  test('a PUT that would create a missing object also needs create', async () => {
    const ns = 'rbac-c';
    rb.put(
      role('Role', 'role-editor', ns, [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['get', 'update'] },
      ]),
    );
    rb.put(
      binding('RoleBinding', 'carol', ns, { kind: 'Role', name: 'role-editor' }, [
        { kind: 'User', name: 'carol' },
      ]),
    );
    const token = rb.addUser('carol');
    const body = role('Role', 'fresh', ns, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]);
    const path = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/fresh`;
    const denied = await call(rb, 'PUT', path, { token, body });
    assert.equal(denied.status, 403);
    assert.equal(denied.json['message'], 'roles.rbac.authorization.k8s.io "fresh" is forbidden: ');
    rb.put(
      role('Role', 'role-creator', ns, [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['create'] },
      ]),
    );
    rb.put(
      binding('RoleBinding', 'carol-create', ns, { kind: 'Role', name: 'role-creator' }, [
        { kind: 'User', name: 'carol' },
      ]),
    );
    assert.equal((await call(rb, 'PUT', path, { token, body })).status, 201);
  });

  test('Roles, ClusterRoles and bindings are served and validated like the apiserver validates them', async () => {
    const admin = rb.addUser('admin', ['system:masters']);
    const api = '/apis/rbac.authorization.k8s.io/v1';
    const created = await call(rb, 'POST', `${api}/clusterroles`, {
      token: admin,
      body: role('ClusterRole', 'stash-vault:reader', undefined, [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      ]),
    });
    assert.equal(created.status, 201, created.text);
    const names = (
      (await call(rb, 'GET', `${api}/clusterroles`, { token: admin })).json['items'] as KubeObject[]
    ).map((i) => i.metadata.name);
    assert.ok(names.includes('cluster-admin') && names.includes('stash-vault:reader'));
    const bad = await call(rb, 'POST', `${api}/clusterroles`, {
      token: admin,
      body: role('ClusterRole', 'bad', undefined, [{ resources: ['secrets'] }]),
    });
    assert.equal(bad.status, 422);
    assert.equal(
      bad.json['message'],
      'ClusterRole.rbac.authorization.k8s.io "bad" is invalid: [rules[0].verbs: Required value: verbs must contain at least one value, rules[0].apiGroups: Required value: resource rules must supply at least one api group]',
    );
    const namespaced = await call(rb, 'POST', `${api}/namespaces/${NS}/roles`, {
      token: admin,
      body: role('Role', 'nr', NS, [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }]),
    });
    assert.equal(
      namespaced.json['message'],
      'Role.rbac.authorization.k8s.io "nr" is invalid: rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
    );
    const rbBody = binding('RoleBinding', 'rb', NS, { kind: 'ClusterRole', name: 'view' }, [
      { kind: 'Group', name: 'g' },
    ]);
    const rbCreated = await call(rb, 'POST', `${api}/namespaces/${NS}/rolebindings`, {
      token: admin,
      body: rbBody,
    });
    assert.equal(rbCreated.status, 201);
    assert.deepEqual((rbCreated.json['subjects'] as unknown[])[0], {
      kind: 'Group',
      name: 'g',
      apiGroup: 'rbac.authorization.k8s.io',
    });
    const changed = await call(rb, 'PUT', `${api}/namespaces/${NS}/rolebindings/rb`, {
      token: admin,
      body: {
        ...rbBody,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      },
    });
    assert.equal(changed.status, 422);
    assert.equal(
      changed.json['message'],
      'RoleBinding.rbac.authorization.k8s.io "rb" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
    );
    const crb = await call(rb, 'POST', `${api}/clusterrolebindings`, {
      token: admin,
      body: binding('ClusterRoleBinding', 'crb', undefined, { kind: 'Role', name: 'r' }, [
        { kind: 'ServiceAccount', name: 'sa' },
      ]),
    });
    assert.equal(
      crb.json['message'],
      'ClusterRoleBinding.rbac.authorization.k8s.io "crb" is invalid: [roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole", subjects[0].namespace: Required value]',
    );
  });

  test('authorization "rbac" checks the default token as well; forbid() still applies on top of RBAC', async () => {
    const strict = await startKubeEmulator({
      authorization: 'rbac',
      user: `system:serviceaccount:${NS}:${BACKUP_SA}`,
    });
    try {
      strict.put(secret({ name: 'vault-backup-token', namespace: NS, data: { token: 't' } }));
      const path = `/api/v1/namespaces/${NS}/secrets/vault-backup-token`;
      assert.equal((await call(strict, 'GET', path)).status, 403);
      strict.put(stashBackupJobClusterRole());
      bindServiceAccount(strict, {
        namespace: NS,
        serviceAccount: BACKUP_SA,
        clusterRole: 'stash-backup-job',
      });
      const c = clients(strict.kubeconfigYaml(NS));
      const s = await c.core.readNamespacedSecret({ name: 'vault-backup-token', namespace: NS });
      assert.deepEqual(decoded(s.data), { token: 't' });
      strict.forbid({ verb: 'get', resource: 'secrets', namespace: NS });
      assert.equal((await call(strict, 'GET', path)).status, 403);
      assert.equal(
        await canI(strict, strict.token, { namespace: NS, verb: 'get', resource: 'secrets' }),
        false,
      );
    } finally {
      await closeAgent(strict);
      await strict.close();
    }
    // The default emulator ('allow-all') lets its own token do anything...
    assert.equal((await call(emu, 'GET', `/api/v1/namespaces/${NS}/secrets`)).status, 200);
    // ...while users it hands out are checked against RBAC.
    const nobody = emu.addUser('nobody');
    assert.equal((await call(emu, 'GET', `/api/v1/namespaces/${NS}/secrets`, { token: nobody })).status, 403);
  });
});

describe('SelfSubjectAccessReview', () => {
  test('answers allowed and the RBAC reason for resource and non-resource attributes, through client-node too', async () => {
    const e = await startKubeEmulator();
    try {
      e.put(stashRestoreJobClusterRole());
      const token = bindServiceAccount(e, {
        namespace: NS,
        serviceAccount: RESTORE_SA,
        clusterRole: 'stash-restore-job',
      });
      const kc = new KubeConfig();
      kc.loadFromString(e.kubeconfigYaml(NS, token));
      const authz = kc.makeApiClient(AuthorizationV1Api);
      const yes = await authz.createSelfSubjectAccessReview({
        body: {
          spec: {
            resourceAttributes: { namespace: NS, verb: 'get', resource: 'secrets', name: 'vault-keys' },
          },
        },
      });
      assert.equal(yes.status?.allowed, true);
      assert.equal(
        yes.status?.reason,
        'RBAC: allowed by RoleBinding "restoresession-vault-restore-0/demo" of ClusterRole "stash-restore-job" to ServiceAccount "restoresession-vault-restore-0/demo"',
      );
      const no = await call(e, 'POST', SSAR_PATH, {
        token,
        body: ssar({
          resourceAttributes: { namespace: NS, verb: 'patch', resource: 'secrets', name: 'vault-keys' },
        }),
      });
      assert.equal(no.status, 201);
      assert.deepEqual(no.json, {
        kind: 'SelfSubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: {
          resourceAttributes: { namespace: NS, verb: 'patch', resource: 'secrets', name: 'vault-keys' },
        },
        status: { allowed: false },
      });
      const discovery = await call(e, 'POST', SSAR_PATH, {
        token,
        body: ssar({ nonResourceAttributes: { path: '/apis', verb: 'get' } }),
      });
      assert.deepEqual(discovery.json['status'], {
        allowed: true,
        reason:
          'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
      });
      // The default 'allow-all' user is allowed unless forbid() says otherwise.
      assert.equal(await canI(e, e.token, { namespace: NS, verb: 'delete', resource: 'secrets' }), true);
      e.forbid({ verb: 'delete', resource: 'secrets' });
      assert.equal(await canI(e, e.token, { namespace: NS, verb: 'delete', resource: 'secrets' }), false);
    } finally {
      await closeAgent(e);
      await e.close();
    }
  });

  test('a review without attributes is 422 Invalid; discovery lists authorization.k8s.io for clients that check it', async () => {
    const empty = await call(emu, 'POST', SSAR_PATH, { body: ssar({}) });
    assert.equal(empty.status, 422);
    assert.equal(
      empty.json['message'],
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    assert.equal((await call(emu, 'GET', SSAR_PATH)).status, 405);
    const groups = (await call(emu, 'GET', '/apis')).json['groups'] as Array<{ name: string }>;
    assert.ok(groups.some((g) => g.name === 'authorization.k8s.io'));
    assert.ok(groups.some((g) => g.name === 'rbac.authorization.k8s.io'));
    const list = (await call(emu, 'GET', '/apis/authorization.k8s.io/v1')).json['resources'] as Array<{
      name: string;
      verbs: string[];
      namespaced: boolean;
    }>;
    assert.deepEqual(list, [
      {
        name: 'selfsubjectaccessreviews',
        singularName: 'selfsubjectaccessreview',
        namespaced: false,
        kind: 'SelfSubjectAccessReview',
        verbs: ['create'],
      },
    ]);
  });
});

describe('server-side dry-run', () => {
  const path = `/api/v1/namespaces/${NS}/secrets`;

  test('dryRun=All create, update, patch and delete answer like the real write and store nothing', async () => {
    emu.put(secret({ name: 'dry', namespace: NS, data: { a: '1' } }));
    const before = emu.get('v1', 'Secret', NS, 'dry');
    const revision = (await call(emu, 'GET', path)).json['metadata'] as { resourceVersion: string };
    const created = await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'dry-new' }, stringData: { b: '2' } },
      dryRun: 'All',
    });
    assert.deepEqual(decoded(created.data), { b: '2' });
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(created.metadata?.resourceVersion, undefined);
    assert.equal(emu.get('v1', 'Secret', NS, 'dry-new'), undefined);
    const rv = String(before?.metadata['resourceVersion']);
    const replaced = await core.replaceNamespacedSecret({
      name: 'dry',
      namespace: NS,
      body: { metadata: { name: 'dry', resourceVersion: rv }, data: { a: b64('2') } },
      dryRun: 'All',
    });
    assert.deepEqual(decoded(replaced.data), { a: '2' });
    assert.equal(replaced.metadata?.resourceVersion, rv);
    const patched = await core.patchNamespacedSecret(
      { name: 'dry', namespace: NS, body: { data: { c: b64('3') } }, dryRun: 'All' },
      merge,
    );
    assert.deepEqual(decoded(patched.data), { a: '1', c: '3' });
    assert.equal(patched.metadata?.resourceVersion, rv);
    const deleted = await call(emu, 'DELETE', `${path}/dry?dryRun=All`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.json['status'], 'Success');
    assert.deepEqual(emu.get('v1', 'Secret', NS, 'dry'), before);
    const after = (await call(emu, 'GET', path)).json['metadata'] as { resourceVersion: string };
    assert.equal(after.resourceVersion, revision.resourceVersion);
    const log = emu.requests().filter((r) => r.path.includes('dryRun=All'));
    assert.equal(log.length, 4);
    assert.ok(log.every((r) => r.dryRun === true));
    assert.ok(emu.requests().every((r) => r.dryRun === undefined || r.path.includes('dryRun=All')));
  });

  test('a dry-run fails exactly as the real request would: 403, 404, 409 and 422', async () => {
    const e = await startKubeEmulator();
    try {
      e.put(stashRestoreJobClusterRole());
      const token = bindServiceAccount(e, {
        namespace: NS,
        serviceAccount: RESTORE_SA,
        clusterRole: 'stash-restore-job',
      });
      e.put(secret({ name: 'vault-keys', namespace: NS, data: { k: 'v' } }));
      const forbiddenPatch = await call(e, 'PATCH', `${path}/vault-keys?dryRun=All`, {
        token,
        body: { data: { k: b64('w') } },
        contentType: 'application/merge-patch+json',
      });
      assert.equal(forbiddenPatch.status, 403);
      assert.match(String(forbiddenPatch.json['message']), /cannot patch resource "secrets" in API group ""/);
      const missing = await call(e, 'PATCH', `${path}/nope?dryRun=All`, {
        body: { data: {} },
        contentType: 'application/merge-patch+json',
      });
      assert.equal(missing.status, 404);
      const exists = await call(e, 'POST', `${path}?dryRun=All`, {
        body: { metadata: { name: 'vault-keys' } },
      });
      assert.equal(exists.status, 409);
      assert.equal(exists.json['reason'], 'AlreadyExists');
      const stale = await call(e, 'PUT', `${path}/vault-keys?dryRun=All`, {
        body: { metadata: { name: 'vault-keys', resourceVersion: '1' }, data: {} },
      });
      assert.equal(stale.status, 409);
      const badKey = await call(e, 'POST', `${path}?dryRun=All`, {
        body: { metadata: { name: 'k' }, stringData: { 'bad/key': 'x' } },
      });
      assert.equal(badKey.status, 422);
      e.conflictNextStatusWrites(1);
      e.put(
        backupSession({
          name: 'bs',
          namespace: NS,
          invokerName: 'a',
          targetRef: { name: 'v', namespace: NS },
        }),
      );
      const statusPath = `/apis/stash.appscode.com/v1beta1/namespaces/${NS}/backupsessions/bs/status`;
      const dryStatus = await call(e, 'PATCH', `${statusPath}?dryRun=All`, {
        body: { status: { phase: 'Succeeded' } },
        contentType: 'application/merge-patch+json',
      });
      assert.equal(dryStatus.status, 200, 'a dry-run does not use up an injected status conflict');
      const realStatus = await call(e, 'PATCH', statusPath, {
        body: { status: { phase: 'Succeeded' } },
        contentType: 'application/merge-patch+json',
      });
      assert.equal(realStatus.status, 409);
      assert.ok(
        e
          .requests()
          .filter((r) => r.path.includes('dryRun=All'))
          .every((r) => r.dryRun === true),
      );
    } finally {
      await closeAgent(e);
      await e.close();
    }
  });

  test('dryRun values other than All are 422 Invalid with the apiserver message', async () => {
    const create = await call(emu, 'POST', `${path}?dryRun=true`, { body: { metadata: { name: 'x' } } });
    assert.equal(create.status, 422);
    assert.deepEqual(create.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"true"}: supported values: "All"',
      reason: 'Invalid',
      details: {
        group: 'meta.k8s.io',
        kind: 'CreateOptions',
        causes: [
          {
            reason: 'FieldValueNotSupported',
            message: 'Unsupported value: []string{"true"}: supported values: "All"',
            field: 'dryRun',
          },
        ],
      },
      code: 422,
    });
    emu.put(secret({ name: 'dry-opts', namespace: NS, data: {} }));
    const patch = await call(emu, 'PATCH', `${path}/dry-opts?dryRun=All&dryRun=Server`, {
      body: {},
      contentType: 'application/merge-patch+json',
    });
    assert.equal(
      patch.json['message'],
      'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "Server"}: supported values: "All"',
    );
    const del = await call(emu, 'DELETE', `${path}/dry-opts`, { body: { dryRun: ['Yes'] } });
    assert.equal(
      del.json['message'],
      'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"',
    );
    assert.ok(emu.get('v1', 'Secret', NS, 'dry-opts') !== undefined);
  });
});

describe('Secret validation', () => {
  const path = `/api/v1/namespaces/${NS}/secrets`;

  test('data keys must be config keys: 422 Invalid with the apiserver field messages', async () => {
    const r = await call(emu, 'POST', path, {
      body: {
        metadata: { name: 'keys' },
        data: { 'bad/key': b64('x'), '..dots': '', [`${'k'.repeat(254)}`]: '' },
      },
    });
    assert.equal(r.status, 422);
    const causes = (r.json['details'] as { causes: Array<{ field: string; message: string }> }).causes;
    assert.deepEqual(causes[0], {
      reason: 'FieldValueInvalid',
      message:
        "Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      field: 'data[bad/key]',
    });
    assert.deepEqual(causes[1], {
      reason: 'FieldValueInvalid',
      message: 'Invalid value: "..dots": must not start with \'..\'',
      field: 'data[..dots]',
    });
    assert.equal(
      causes[2]?.message,
      `Invalid value: "${'k'.repeat(254)}": must be no more than 253 characters`,
    );
    assert.match(
      String(r.json['message']),
      /^Secret "keys" is invalid: \[data\[bad\/key\]: Invalid value: "bad\/key": /,
    );
  });

  test('data values must be base64 as Go decodes it: 400 on create, 422 on the patch field after a patch', async () => {
    const create = async (data: unknown): Promise<CallResult> =>
      call(emu, 'POST', path, { body: { metadata: { name: 'b64' }, data } });
    const bad = await create({ a: 'not base64!' });
    assert.equal(bad.status, 400);
    assert.equal(
      bad.json['message'],
      'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    );
    assert.match(
      String((await create({ a: 'YWI' })).json['message']),
      /illegal base64 data at input byte 0$/,
    );
    assert.match(
      String((await create({ a: 'YW=j' })).json['message']),
      /illegal base64 data at input byte 2$/,
    );
    assert.equal(
      (await create({ a: 5 })).json['message'],
      'Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal number into Go struct field Secret.data of type []uint8',
    );
    const ok = await create({ a: 'YW\nJj' });
    assert.equal(ok.status, 201, 'Go skips newlines inside base64');
    emu.put(secret({ name: 'b64-patch', namespace: NS, data: { a: 'x' } }));
    const patched = await call(emu, 'PATCH', `${path}/b64-patch`, {
      body: { data: { a: 'not base64!' } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(patched.status, 422);
    assert.match(
      String(patched.json['message']),
      /^ "" is invalid: patch: Invalid value: "\{.*\}": illegal base64 data at input byte 3$/,
    );
    assert.equal((patched.json['details'] as { causes: Array<{ field: string }> }).causes[0]?.field, 'patch');
    const smp = await call(emu, 'PATCH', `${path}/b64-patch`, {
      body: { data: { a: 'not base64!' } },
      contentType: 'application/strategic-merge-patch+json',
    });
    assert.equal(
      smp.json['message'],
      ' "" is invalid: patch: Invalid value: "map[data:map[a:not base64!]]": error decoding from json: illegal base64 data at input byte 3',
    );
  });

  test('total data over 1 MiB is 422 Too long, bodies over 3 MiB are 413', async () => {
    const max = 1024 * 1024;
    const atLimit = await call(emu, 'POST', path, {
      body: {
        metadata: { name: 'at-limit' },
        data: { a: Buffer.alloc(max - 1).toString('base64'), b: b64('x') },
      },
    });
    assert.equal(atLimit.status, 201);
    const over = await call(emu, 'POST', path, {
      body: {
        metadata: { name: 'over-limit' },
        data: { a: Buffer.alloc(max).toString('base64'), b: b64('x') },
      },
    });
    assert.equal(over.status, 422);
    assert.equal(
      over.json['message'],
      'Secret "over-limit" is invalid: data: Too long: may not be more than 1048576 bytes',
    );
    const huge = await call(emu, 'POST', path, {
      body: { metadata: { name: 'huge' }, stringData: { a: 'x'.repeat(3 * max) } },
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.json['message'], 'Request entity too large: limit is 3145728');
  });

  test('type cannot change and an immutable Secret refuses data changes', async () => {
    emu.put({ ...secret({ name: 'typed', namespace: NS, data: { a: '1' } }), type: 'example.com/one' });
    const retype = await call(emu, 'PATCH', `${path}/typed`, {
      body: { type: 'example.com/two' },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(retype.status, 422);
    assert.equal(
      retype.json['message'],
      'Secret "typed" is invalid: type: Invalid value: "example.com/two": field is immutable',
    );
    emu.put({ ...secret({ name: 'frozen', namespace: NS, data: { a: '1' } }), immutable: true });
    const change = await call(emu, 'PATCH', `${path}/frozen`, {
      body: { data: { a: b64('2') } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(change.status, 422);
    assert.equal(
      change.json['message'],
      'Secret "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    );
  });
});

describe('JSON patch strictness', () => {
  const path = `/api/v1/namespaces/${NS}/secrets/jp-strict`;
  const GENERIC_422 = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server rejected our request due to an error in our request',
    reason: 'Invalid',
    details: {},
    code: 422,
  };
  const jsonPatch = (body: unknown, query = ''): Promise<CallResult> =>
    call(emu, 'PATCH', `${path}${query}`, {
      body: typeof body === 'string' ? body : JSON.stringify(body),
      contentType: 'application/json-patch+json',
    });

  before(() => {
    emu.put(secret({ name: 'jp-strict', namespace: NS, data: { a: '1' } }));
  });

  test('operations json-patch cannot apply are 422 with the generic message', async () => {
    const failing: unknown[][] = [
      [{ op: 'remove', path: '/data/missing' }],
      [{ op: 'frobnicate', path: '/data/a', value: 'x' }],
      [{ op: 'add', value: 'x' }],
      [{ op: 'add', path: '/data/a/deeper', value: 'x' }],
      [{ op: 'add', path: '/nope/x', value: 'x' }],
      [{ op: 'add', path: '/metadata/finalizers/3', value: 'x' }],
      [{ op: 'test', path: '/data/a', value: 'wrong' }],
      [{ op: 'test', path: '/data/a' }],
      [{ op: 'move', from: '/data/missing', path: '/data/b' }],
      [null],
    ];
    for (const ops of failing) {
      const r = await jsonPatch(ops);
      assert.equal(r.status, 422, JSON.stringify(ops));
      assert.deepEqual(r.json, GENERIC_422);
    }
    assert.deepEqual(decoded(emu.get('v1', 'Secret', NS, 'jp-strict')?.['data'] as Record<string, string>), {
      a: '1',
    });
  });

  test('bodies that do not decode as a patch are 400 with the decoder message', async () => {
    const cases: Array<[unknown, string, string?]> = [
      [
        { op: 'add' },
        'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
      ],
      [[1], 'error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp'],
      [
        [{ op: 5, path: '/data/a' }],
        'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string',
      ],
      [
        { op: 'add' },
        'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
        '?fieldValidation=Ignore',
      ],
    ];
    for (const [body, message, query] of cases) {
      const r = await jsonPatch(body, query);
      assert.equal(r.status, 400);
      assert.equal(r.json['message'], message);
    }
    const fv = await jsonPatch([], '?fieldValidation=Loose');
    assert.equal(
      fv.json['message'],
      'PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"',
    );
  });

  test('json-patch v4 quirks the apiserver accepts: add/replace without value store null, replace adds, test without value panics', async () => {
    const add = await jsonPatch([{ op: 'add', path: '/data/novalue' }]);
    assert.equal(add.status, 200);
    assert.equal((add.json['data'] as Record<string, string>)['novalue'], '');
    const replace = await jsonPatch([{ op: 'replace', path: '/data/fresh', value: b64('f') }]);
    assert.equal(replace.status, 200, 'replace of a missing object member adds it in json-patch v4');
    assert.equal(decoded(replace.json['data'] as Record<string, string>)['fresh'], 'f');
    const panic = await jsonPatch([{ op: 'test', path: '/data/absent' }]);
    assert.equal(panic.status, 500);
    assert.equal(panic.text, 'This request caused apiserver to panic. Look in the logs for details.\n');
    assert.match(String(panic.headers['content-type']), /^text\/plain/);
    const nullTest = await jsonPatch([{ op: 'test', path: '/data/absent', value: null }]);
    assert.equal(nullTest.status, 200);
    const tooMany = await jsonPatch(
      Array.from({ length: 10001 }, () => ({ op: 'test', path: '/data/a', value: b64('1') })),
    );
    assert.equal(tooMany.status, 413);
    assert.equal(
      tooMany.json['message'],
      'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    );
  });

  test('merge and strategic merge bodies that are not objects are 400', async () => {
    const patch = async (body: string, type: string): Promise<CallResult> =>
      call(emu, 'PATCH', path, { body, contentType: type });
    const mergeType = 'application/merge-patch+json';
    assert.equal(
      (await patch('[1]', mergeType)).json['message'],
      'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}',
    );
    assert.equal(
      (await patch('"x"', mergeType)).json['message'],
      'error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}',
    );
    const nul = await patch('null', mergeType);
    assert.equal(nul.status, 400);
    assert.equal(nul.json['message'], 'Invalid JSON Patch');
    const smp = await patch('[1]', 'application/strategic-merge-patch+json');
    assert.equal(smp.status, 400);
    assert.equal(
      smp.json['message'],
      'json: cannot unmarshal array into Go value of type map[string]interface {}',
    );
  });
});

describe('network faults', () => {
  let net: KubeEmulator;
  before(async () => {
    net = await startKubeEmulator();
    net.put(secret({ name: 'n', namespace: NS, data: { a: 'b' } }));
  });
  after(async () => {
    await closeAgent(net);
    await net.close();
  });
  const path = `/api/v1/namespaces/${NS}/secrets/n`;

  test('blackhole reads requests and never answers; turned off, the server answers again', async () => {
    net.blackhole(true);
    const started = Date.now();
    await assert.rejects(call(net, 'GET', path, { signal: AbortSignal.timeout(300) }), (err: Error) =>
      /abort|timeout/i.test(`${err.name} ${err.message}`),
    );
    assert.ok(Date.now() - started >= 250);
    net.blackhole(false);
    assert.equal((await call(net, 'GET', path)).status, 200);
    const log = net.requests().filter((r) => r.path === path);
    assert.deepEqual(
      log.map((r) => [r.status, r.fault]),
      [
        [0, 'blackhole'],
        [200, undefined],
      ],
    );
  });

  test('close() ends promptly while a blackholed request is still waiting', async () => {
    const e = await startKubeEmulator();
    const agent = new Agent({ connect: { ca: e.caPem } });
    try {
      e.blackhole(true);
      const pending = httpsCall(`${e.url}/api/v1/namespaces/${NS}/secrets`, {
        headers: { authorization: `Bearer ${e.token}` },
        dispatcher: agent,
      }).then(
        () => 'answered',
        () => 'failed',
      );
      while (e.requests().length === 0) await new Promise((r) => setTimeout(r, 10));
      const started = Date.now();
      await e.close();
      assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
      assert.equal(await pending, 'failed');
    } finally {
      await agent.close();
    }
  });

  test('resetNext destroys the connection without any response, for the given number of times', async () => {
    net.resetNext({ pathIncludes: '/secrets/n', method: 'GET', times: 2 });
    for (let i = 0; i < 2; i++)
      await assert.rejects(call(net, 'GET', path), (err: NodeJS.ErrnoException) =>
        /ECONNRESET|other side closed|socket/i.test(`${err.code ?? ''} ${err.message}`),
      );
    assert.equal((await call(net, 'GET', path)).status, 200);
    assert.deepEqual(
      net
        .requests()
        .filter((r) => r.fault === 'reset')
        .map((r) => r.status),
      [0, 0],
    );
  });

  test('delayNext answers after the delay; failNext sends Retry-After, with a custom retryAfterSeconds too', async () => {
    net.delayNext({ pathIncludes: '/secrets/n', ms: 300 });
    const started = Date.now();
    const slow = await call(net, 'GET', path);
    assert.equal(slow.status, 200);
    assert.ok(Date.now() - started >= 280);
    assert.equal(net.requests().at(-1)?.fault, 'delay');
    net.failNext({ pathIncludes: '/secrets/n', status: 429 });
    const throttled = await call(net, 'GET', path);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers['retry-after'], '1');
    assert.deepEqual(throttled.json['details'], { retryAfterSeconds: 1 });
    net.failNext({ pathIncludes: '/secrets/n', status: 503, retryAfterSeconds: 7 });
    const unavailable = await call(net, 'GET', path);
    assert.equal(unavailable.headers['retry-after'], '7');
    assert.deepEqual(unavailable.json['details'], { retryAfterSeconds: 7 });
    net.failNext({ pathIncludes: '/secrets/n', status: 429, retryAfterSeconds: 0 });
    assert.equal((await call(net, 'GET', path)).headers['retry-after'], undefined);
  });

  test('kubeconfigs can carry an added user token', () => {
    const token = net.addUser('kubeconfig-user');
    const dir = mkdtempSync(join(tmpdir(), 'kube-emu-'));
    try {
      const file = join(dir, 'kubeconfig');
      net.writeKubeconfig(file, NS, token);
      const kc = new KubeConfig();
      kc.loadFromFile(file);
      assert.equal(kc.getCurrentUser()?.token, token);
      assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, NS);
      assert.match(net.kubeconfigYaml(NS, token), new RegExp(token));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
