// startKubeEmulator: an HTTPS Kubernetes API server on 127.0.0.1 that our real client-node code talks
// to in tests, with bearer-token auth, request log, hooks, fault injection and direct store access.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { makeTestPki } from '../../helpers/certs.ts';
import { admit } from './admit.ts';
import { loadCrdDefs } from './crds.ts';
import { dispatch, type DispatchContext } from './dispatch.ts';
import { Faults } from './faults.ts';
import { kubeconfigYaml, writeKubeconfigFile } from './kubeconfig.ts';
import { builtinDefs, makeRegistry, type Registry, type ResourceDef } from './resources.ts';
import { failure, KubeHttpError, unauthorized } from './status.ts';
import { ObjectStore } from './store.ts';
import type { KubeEmulator, KubeEmulatorOptions, KubeObject, RequestRecord } from './types.ts';

type Hook = (method: string, path: string) => unknown;

// <repo>/../shared/crds, where the lead keeps the real Stash/KubeVault CRDs.
function defaultCrdDir(): string {
  const repo = resolve(import.meta.dirname, '../../..');
  return process.env['STASH_VAULT_CRD_DIR'] ?? resolve(repo, '../shared/crds');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': String(Buffer.byteLength(text)),
  };
  if (status === 429) headers['Retry-After'] = '1';
  res.writeHead(status, headers);
  res.end(text);
}

function defFor(registry: Registry, apiVersion: string, kind: string): ResourceDef {
  const def = registry.byKind(apiVersion, kind);
  if (def === undefined) throw new Error(`kube emulator: no resource serves ${apiVersion} ${kind}`);
  return def;
}

// Stores `obj` directly (create or replace, no resourceVersion check), validating custom objects.
function putDirect(registry: Registry, store: ObjectStore, obj: KubeObject): KubeObject {
  const def = defFor(registry, obj.apiVersion, obj.kind);
  const copy = structuredClone(obj);
  if (def.namespaced && (copy.metadata.namespace ?? '') === '')
    throw new Error(`kube emulator: put ${obj.kind} ${obj.metadata.name} needs metadata.namespace`);
  if (!def.namespaced) delete copy.metadata.namespace;
  try {
    admit(def, copy);
  } catch (err) {
    if (err instanceof KubeHttpError)
      throw new Error(`kube emulator: put rejected: ${err.body.message ?? ''}`, { cause: err });
    throw err;
  }
  const ns = copy.metadata.namespace ?? '';
  const old = store.find(def, ns, copy.metadata.name);
  return structuredClone(old === undefined ? store.insert(def, copy) : store.update(def, old, copy));
}

// Starts the emulator; CRDs come from opts.crdDir, $STASH_VAULT_CRD_DIR or <repo>/../shared/crds.
export async function startKubeEmulator(opts: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const pki = makeTestPki();
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const registry = makeRegistry([...builtinDefs(), ...loadCrdDefs(opts.crdDir ?? defaultCrdDir())]);
  const store = new ObjectStore();
  const faults = new Faults();
  const log: RequestRecord[] = [];
  const hooks: Hook[] = [];
  const ctx: DispatchContext = {
    store,
    registry,
    faults,
    user: opts.user ?? 'system:serviceaccount:default:stash-vault',
    serverAddress: '127.0.0.1:0',
    takeStatusConflict: () => faults.takeStatusConflict(),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = req.url ?? '/';
    const contentType = req.headers['content-type'];
    let status = 500;
    try {
      const raw = await readBody(req);
      for (const hook of hooks) await hook(method, path);
      const authorized = req.headers.authorization === `Bearer ${token}`;
      const injected = authorized ? faults.takeFailure(method, path) : undefined;
      let reply: { status: number; body: unknown };
      if (!authorized) reply = { status: 401, body: unauthorized() };
      else if (injected !== undefined) reply = { status: injected.code, body: injected };
      else reply = dispatch(ctx, method, new URL(path, 'https://127.0.0.1'), raw, contentType ?? '');
      status = reply.status;
      send(res, status, reply.body);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      send(res, 500, failure(500, `Internal error occurred: ${message}`, 'InternalError'));
    } finally {
      log.push({ method, path, status, ...(contentType !== undefined ? { contentType } : {}) });
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
    kubeconfigYaml: (namespace = 'default') => kubeconfigYaml(url, pki.caPem, token, namespace),
    writeKubeconfig: (path, namespace = 'default') =>
      writeKubeconfigFile(path, kubeconfigYaml(url, pki.caPem, token, namespace)),
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
    requests: () => log.map((r) => ({ ...r })),
    onRequest: (fn) => void hooks.push(fn),
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
