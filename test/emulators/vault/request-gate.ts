// Checks every request passes before routing: the hang fault (never answer), the emulator's token-header
// assertion (Authorization-only tokens get 400 unless acceptBearer) and marking for echoTokenInErrors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterState } from './cluster-state.ts';
import { sendErrors, tokenFromRequest, tokenHeaderOf } from './http-util.ts';
import { markTokenEcho } from './token-echo.ts';

export const BEARER_REJECTED = 'emulator: the token must be sent in X-Vault-Token';

function hangs(state: ClusterState, path: string): boolean {
  const hang = state.faults.hang;
  return hang === true || (Array.isArray(hang) && hang.includes(path));
}

// Returns true when the request should be routed; otherwise it was answered or is left hanging on purpose
// (the server's close() destroys the connection).
export function passGate(state: ClusterState, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (hangs(state, url.pathname)) return false;
  const token = tokenFromRequest(req);
  if (state.faults.echoTokenInErrors === true && token !== undefined && token !== '')
    markTokenEcho(res, token);
  if (!state.acceptBearer && tokenHeaderOf(req) === 'authorization') {
    sendErrors(res, 400, [BEARER_REJECTED]);
    return false;
  }
  return true;
}
