// startKubeEmulator: an HTTPS Kubernetes API server on 127.0.0.1 that our real client-node code talks
// to in tests, with bearer-token users, RBAC, request log, hooks, API and network fault injection and
// direct store access.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTestPki } from '../../helpers/certs.ts';
import { admit } from './admit.ts';
import { bootstrapRbac } from './bootstrap-rbac.ts';
import { loadCrdDefs } from './crds.ts';
import { dispatch, type DispatchContext } from './dispatch.ts';
import { Faults } from './faults.ts';
import { kubeconfigYaml, writeKubeconfigFile } from './kubeconfig.ts';
import { NetFaults } from './net-faults.ts';
import { RbacView } from './rbac.ts';
import type { Reply } from './reads.ts';
import { builtinDefs, makeRegistry, type Registry, type ResourceDef } from './resources.ts';
import { DecodeError } from './secret-validate.ts';
import { failure, KubeHttpError, unauthorized, type StatusBody } from './status.ts';
import { ObjectStore } from './store.ts';
import type { KubeEmulator, KubeEmulatorOptions, KubeObject, RequestRecord } from './types.ts';
import { groupsFor, Users } from './users.ts';

type Hook = (method: string, path: string) => unknown;

// <repo>/../shared/crds, where the lead keeps the real Stash/KubeVault CRDs.
function defaultCrdDir(): string {
  const repo = resolve(import.meta.dirname, '../../..');
  return process.env['STASH_VAULT_CRD_DIR'] ?? resolve(repo, '../shared/crds');
}

// The CRDs of the directory and of its kubestash/ folder; opts.crdOverrideDirs replace any CRD version
// they also define (a test installs an older schema that way).
function crdDefs(opts: KubeEmulatorOptions): ResourceDef[] {
  const dir = opts.crdDir ?? defaultCrdDir();
  const base = [
    ...loadCrdDefs(dir),
    ...(existsSync(join(dir, 'kubestash')) ? loadCrdDefs(join(dir, 'kubestash')) : []),
  ];
  const overrides = (opts.crdOverrideDirs ?? []).flatMap((d) => loadCrdDefs(d));
  const key = (d: ResourceDef): string => `${d.group}/${d.version}/${d.plural}`;
  const replaced = new Set(overrides.map(key));
  return [...base.filter((d) => !replaced.has(key(d))), ...overrides];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// Writes a reply unless the connection is already gone; Retry-After mirrors details.retryAfterSeconds.
function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const plain = reply.text !== undefined;
  const text = reply.text ?? JSON.stringify(reply.body);
  const headers: Record<string, string> = {
    'Content-Type': plain ? 'text/plain; charset=utf-8' : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': String(Buffer.byteLength(text)),
  };
  if (plain) headers['X-Content-Type-Options'] = 'nosniff';
  const retry = (reply.body as StatusBody | undefined)?.details?.retryAfterSeconds;
  if (retry !== undefined && retry > 0) headers['Retry-After'] = String(retry);
  res.writeHead(reply.status, headers);
  res.end(text);
}

// Drops the connection with a TCP reset when the raw socket under TLS is reachable, else closes it.
function resetConnection(socket: Socket): void {
  const raw = (socket as Socket & { _parent?: unknown })._parent;
  if (
    raw !== null &&
    typeof raw === 'object' &&
    'resetAndDestroy' in raw &&
    typeof raw.resetAndDestroy === 'function'
  )
    (raw as Socket).resetAndDestroy();
  else socket.destroy();
}

function defFor(registry: Registry, apiVersion: string, kind: string): ResourceDef {
  const def = registry.byKind(apiVersion, kind);
  if (def === undefined) throw new Error(`kube emulator: no resource serves ${apiVersion} ${kind}`);
  return def;
}

// Stores `obj` directly (create or replace, no resourceVersion check), validating it like the API does.
function putDirect(registry: Registry, store: ObjectStore, obj: KubeObject): KubeObject {
  const def = defFor(registry, obj.apiVersion, obj.kind);
  if (def.virtual !== undefined) throw new Error(`kube emulator: ${obj.kind} is not stored`);
  const copy = structuredClone(obj);
  if (def.namespaced && (copy.metadata.namespace ?? '') === '')
    throw new Error(`kube emulator: put ${obj.kind} ${obj.metadata.name} needs metadata.namespace`);
  if (!def.namespaced) delete copy.metadata.namespace;
  const ns = copy.metadata.namespace ?? '';
  const old = store.find(def, ns, copy.metadata.name);
  try {
    admit(def, copy);
  } catch (err) {
    if (err instanceof KubeHttpError)
      throw new Error(`kube emulator: put rejected: ${err.body.message ?? ''}`, { cause: err });
    if (err instanceof DecodeError)
      throw new Error(`kube emulator: put rejected: ${err.message}`, { cause: err });
    throw err;
  }
  return structuredClone(old === undefined ? store.insert(def, copy) : store.update(def, old, copy));
}

// Starts the emulator; CRDs come from opts.crdDir, $STASH_VAULT_CRD_DIR or <repo>/../shared/crds.
export async function startKubeEmulator(opts: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const pki = makeTestPki();
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const registry = makeRegistry([...builtinDefs(), ...crdDefs(opts)]);
  const store = new ObjectStore();
  for (const obj of bootstrapRbac()) putDirect(registry, store, obj);
  const faults = new Faults();
  const net = new NetFaults();
  const users = new Users();
  const defaultUser = opts.user ?? 'system:serviceaccount:default:stash-vault';
  users.register(token, {
    name: defaultUser,
    groups: groupsFor(defaultUser),
    rbac: opts.authorization === 'rbac',
  });
  const log: RequestRecord[] = [];
  const hooks: Hook[] = [];
  const lifetime = new AbortController();
  const ctx: DispatchContext = {
    store,
    registry,
    faults,
    rbac: new RbacView(store, registry),
    serverAddress: '127.0.0.1:0',
    takeStatusConflict: () => faults.takeStatusConflict(),
  };

  // Transport faults first (they act below HTTP), then authentication, failNext, the API itself.
  const answer = async (
    req: IncomingMessage,
    method: string,
    path: string,
    record: RequestRecord,
  ): Promise<Reply | undefined> => {
    const raw = await readBody(req);
    for (const hook of hooks) await hook(method, path);
    if (net.blackholed) {
      record.fault = 'blackhole';
      return undefined;
    }
    if (net.takeReset(method, path)) {
      record.fault = 'reset';
      resetConnection(req.socket);
      return undefined;
    }
    const delay = net.takeDelay(method, path);
    if (delay !== undefined) {
      record.fault = 'delay';
      await sleep(delay, undefined, { signal: lifetime.signal });
    }
    const user = users.authenticate(req.headers.authorization);
    if (user === undefined) return { status: 401, body: unauthorized() };
    record.user = user.name;
    const injected = faults.takeFailure(method, path);
    if (injected !== undefined) return { status: injected.code, body: injected };
    const url = new URL(path, 'https://127.0.0.1');
    return dispatch(ctx, { method, url, raw, contentType: req.headers['content-type'] ?? '', user });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = req.url ?? '/';
    const contentType = req.headers['content-type'];
    const record: RequestRecord = {
      method,
      path,
      status: 0,
      ...(contentType !== undefined ? { contentType } : {}),
    };
    try {
      const reply = await answer(req, method, path, record);
      if (reply === undefined) return;
      if (reply.dryRun === true) record.dryRun = true;
      record.status = reply.status;
      send(res, reply);
    } catch (err) {
      if (lifetime.signal.aborted) return;
      const message = err instanceof Error ? err.message : String(err);
      record.status = 500;
      send(res, { status: 500, body: failure(500, `Internal error occurred: ${message}`, 'InternalError') });
    } finally {
      log.push(record);
    }
  };

  const server: Server = createServer(
    { cert: pki.certPem, key: pki.keyPem },
    (req, res) => void handle(req, res),
  );
  await new Promise<void>((ok, bad) => {
    server.once('error', bad);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  ctx.serverAddress = `127.0.0.1:${port}`;
  const url = `https://127.0.0.1:${port}`;

  return {
    url,
    caPem: pki.caPem,
    token,
    addUser: (name, groups = []) => users.add(name, groups),
    kubeconfigYaml: (namespace = 'default', tok = token) => kubeconfigYaml(url, pki.caPem, tok, namespace),
    writeKubeconfig: (path, namespace = 'default', tok = token) =>
      writeKubeconfigFile(path, kubeconfigYaml(url, pki.caPem, tok, namespace)),
    put: (obj) => putDirect(registry, store, obj),
    get: (apiVersion, kind, namespace, name) => {
      const found = store.find(defFor(registry, apiVersion, kind), namespace, name);
      return found === undefined ? undefined : structuredClone(found);
    },
    remove: (apiVersion, kind, namespace, name) =>
      void store.delete(defFor(registry, apiVersion, kind), namespace, name),
    failNext: (rule) => faults.addFailure(rule),
    conflictNextStatusWrites: (n) => faults.addStatusConflicts(n),
    forbid: (rule) => faults.addForbid(rule),
    blackhole: (on) => void (net.blackholed = on),
    resetNext: (rule) => net.addReset(rule),
    delayNext: (rule) => net.addDelay(rule),
    requests: () => log.map((r) => ({ ...r })),
    onRequest: (fn) => void hooks.push(fn),
    close: () =>
      new Promise<void>((ok) => {
        lifetime.abort();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
