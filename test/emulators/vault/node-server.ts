// One emulated Vault node: an http/https server on 127.0.0.1:0 routing the /v1 endpoints a snapshot tool
// uses. Every /v1 answer carries Cache-Control: no-store; every request is recorded in the request log.
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { ClusterState } from './cluster-state.ts';
import { handleHealth } from './health.ts';
import { multiError, sendErrors, tokenFromRequest, tokenHeaderOf } from './http-util.ts';
import { passGate } from './request-gate.ts';
import { handleSnapshotRestore } from './snapshot-restore.ts';
import { handleSnapshotSave } from './snapshot-save.ts';
import { handleLeader, handleSealStatus } from './sys-status.ts';
import { handleCapabilitiesSelf, handleLookupSelf } from './token-endpoints.ts';
import { handleUnseal } from './unseal.ts';
import { serveOnActive } from './active-guard.ts';
import { INVALID_TOKEN } from './acl.ts';

const SNAPSHOT = '/v1/sys/storage/raft/snapshot';

async function route(
  state: ClusterState,
  i: number,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const method = req.method ?? 'GET';
  const namespace = req.headers['x-vault-namespace'];
  if (
    state.distribution === 'openbao' &&
    url.pathname.startsWith('/v1/sys/storage/') &&
    typeof namespace === 'string' &&
    namespace !== ''
  ) {
    return sendErrors(res, 400, ['operation unavailable in namespaces']);
  }
  switch (url.pathname) {
    case '/v1/sys/health':
      return handleHealth(state, i, req, res, url.searchParams);
    case '/v1/sys/leader':
      return handleLeader(state, i, req, res);
    case '/v1/sys/seal-status':
      return handleSealStatus(state, i, req, res);
    case '/v1/sys/unseal':
      return handleUnseal(state, i, req, res);
    case SNAPSHOT:
    case `${SNAPSHOT}-force`: {
      const force = url.pathname.endsWith('-force');
      if (method === 'GET' && !force) return handleSnapshotSave(state, i, req, res);
      if (method === 'POST' || method === 'PUT') return handleSnapshotRestore(state, i, req, res, force);
      return sendErrors(res, 405, []);
    }
  }
  if (!serveOnActive(state, i, req, res, false)) return;
  if (url.pathname === '/v1/sys/capabilities-self') return handleCapabilitiesSelf(state, req, res);
  if (url.pathname === '/v1/auth/token/lookup-self') return handleLookupSelf(state, req, res);
  if (state.lookupToken(tokenFromRequest(req) ?? '') === undefined)
    return sendErrors(res, 403, [INVALID_TOKEN]);
  sendErrors(res, 404, [multiError(['unsupported path'])]);
}

function record(state: ClusterState, i: number, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const via = state.viaPorts.get(req.socket.remotePort ?? -1) ?? 'direct';
  res.once('close', () => {
    state.requests.push({
      node: i,
      method: req.method ?? '',
      path: url.pathname,
      status: res.headersSent ? res.statusCode : 0,
      tokenSeen: tokenFromRequest(req) !== undefined,
      via,
      tokenHeader: tokenHeaderOf(req),
      authorizationHeader: req.headers.authorization !== undefined,
    });
  });
}

// Requests served per connection, for closeReusedOnUpload.
const served = new WeakMap<object, number>();

function handler(state: ClusterState, i: number): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const nth = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, nth);
    const upload = (req.method === 'POST' || req.method === 'PUT') && url.pathname.startsWith(SNAPSHOT);
    if (state.faults.closeReusedOnUpload === true && upload && nth > 1) {
      req.socket.destroy();
      return;
    }
    record(state, i, req, res, url);
    if (url.pathname.startsWith('/v1/')) res.setHeader('Cache-Control', 'no-store');
    if (!passGate(state, req, res, url)) return;
    route(state, i, req, res, url).catch((err: unknown) => {
      if (!res.headersSent) sendErrors(res, 500, [multiError([(err as Error).message])]);
      else res.destroy();
    });
  };
}

// Starts node i's listener; resolves with the server and its port.
export async function startNodeServer(
  state: ClusterState,
  i: number,
  tls: { certPem: string; keyPem: string } | undefined,
): Promise<{ server: Server; port: number }> {
  const h = handler(state, i);
  const server: Server =
    tls === undefined ? createHttp(h) : createHttps({ cert: tls.certPem, key: tls.keyPem }, h);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr !== null ? addr.port : 0 };
}
