// Where a request may be served: sealed nodes answer 503; standbys answer 307 to the active node for the
// always-redirect snapshot paths (empty body, body of a POST never read), or 500 when they know no leader
// (http/handler.go handleRequestForwarding / respondStandby). Faults: forceStandbyAll makes the active node
// answer as a standby too; redirectLocation replaces the 307's Location verbatim.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterState } from './cluster-state.ts';
import { sendErrors, sendSealed } from './http-util.ts';

export const NO_ACTIVE = 'local node not active but active cluster node not found';

// Returns true when node i should go on to serve the request itself; otherwise the answer was sent.
export function serveOnActive(
  state: ClusterState,
  i: number,
  req: IncomingMessage,
  res: ServerResponse,
  redirect: boolean,
): boolean {
  if (!state.isAvailable(i)) {
    sendSealed(res);
    return false;
  }
  if (state.isActiveNode(i)) return true;
  if (state.faults.leaderUnknown === true) {
    sendErrors(res, 500, [NO_ACTIVE]);
    return false;
  }
  if (!redirect) return true;
  const target = state.nodes[state.active]?.apiAddr ?? '';
  const location = state.faults.redirectLocation ?? `${target}${req.url ?? '/'}`;
  const headers: Record<string, string> = { Location: location, 'Content-Length': '0' };
  if (req.method !== 'GET' && req.method !== 'HEAD') headers['Connection'] = 'close';
  res.writeHead(307, headers);
  res.end();
  return false;
}
