// Token self-service endpoints a backup tool uses for pre-flight checks: POST /v1/sys/capabilities-self and
// GET /v1/auth/token/lookup-self (vault-snapshot-api.md §4).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { INVALID_TOKEN, capabilitiesOf } from './acl.ts';
import type { ClusterState } from './cluster-state.ts';
import { envelope, field, readJsonBody, sendErrors, sendJson, tokenFromRequest } from './http-util.ts';

export async function handleCapabilitiesSelf(
  state: ClusterState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'POST' && req.method !== 'PUT') return sendErrors(res, 405, []);
  const token = state.lookupToken(tokenFromRequest(req) ?? '');
  if (token === undefined) return sendErrors(res, 403, [INVALID_TOKEN]);
  let body: Record<string, unknown>;
  try {
    body = await readJsonBody(req);
  } catch (err) {
    return sendErrors(res, 400, [(err as Error).message]);
  }
  const raw = field(body, 'paths') ?? field(body, 'path');
  const paths = (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : []).filter(
    (p): p is string => typeof p === 'string' && p !== '',
  );
  if (paths.length === 0) return sendErrors(res, 400, ['paths must be supplied']);
  const data: Record<string, unknown> = {};
  for (const p of paths) data[p] = capabilitiesOf(token, p.replace(/^\/+/, ''));
  if (paths.length === 1) data['capabilities'] = data[paths[0] ?? ''];
  sendJson(res, 200, envelope(data, true));
}

export function handleLookupSelf(state: ClusterState, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET') return sendErrors(res, 405, []);
  const token = state.lookupToken(tokenFromRequest(req) ?? '');
  if (token === undefined) return sendErrors(res, 403, [INVALID_TOKEN]);
  const root = token.acl === null;
  sendJson(
    res,
    200,
    envelope(
      {
        accessor: token.accessor,
        creation_time: token.creation_time,
        creation_ttl: token.ttl,
        display_name: token.display_name,
        entity_id: '',
        expire_time: root ? null : new Date((token.creation_time + token.ttl) * 1000).toISOString(),
        explicit_max_ttl: 0,
        id: token.id,
        identity_policies: null,
        issue_time: new Date(token.creation_time * 1000).toISOString(),
        meta: null,
        num_uses: 0,
        orphan: root,
        path: token.path,
        policies: token.policies,
        renewable: !root,
        ttl: root ? 0 : Math.max(0, token.creation_time + token.ttl - Math.floor(Date.now() / 1000)),
        type: 'service',
      },
      false,
    ),
  );
}
