// PUT|POST /v1/sys/unseal: distinct valid key shares accumulate per node until the threshold; the shares are
// then combined into the seal key. Reaching the threshold on the active node also unseals the standbys
// (emulator simplification; a real cluster needs every node unsealed).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterState } from './cluster-state.ts';
import { field, readJsonBody, sendErrors, sendJson } from './http-util.ts';
import { keyHash } from './identity.ts';
import { sealKeyId } from './seal.ts';
import { combineShares } from './shamir.ts';
import { sealStatusOf } from './sys-status.ts';

const MISSING_KEY = "'key' must be specified in request body as JSON, or 'reset' set to true";

// Hex first, then base64, as http/sys_seal.go decodes the key.
function decodeKey(key: string): Buffer | undefined {
  if (/^[0-9a-fA-F]+$/.test(key) && key.length % 2 === 0) return Buffer.from(key, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(key)) return Buffer.from(key, 'base64');
  return undefined;
}

function complete(state: ClusterState, i: number, parts: Buffer[]): void {
  const key = combineShares(parts);
  if (sealKeyId(key) !== state.sealConfig()?.seal_key_id) throw new Error('Unseal failed, invalid key');
  state.sealKey = key;
  state.nodes.forEach((n, j) => {
    if (j === i || i === state.active) Object.assign(n, { sealed: false, unsealParts: [], nonce: '' });
  });
}

export async function handleUnseal(
  state: ClusterState,
  i: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'PUT' && req.method !== 'POST') return sendErrors(res, 405, []);
  const node = state.nodes[i];
  if (node === undefined) return sendErrors(res, 500, []);
  let body: Record<string, unknown>;
  try {
    body = await readJsonBody(req);
  } catch (err) {
    return sendErrors(res, 400, [(err as Error).message]);
  }
  if (field(body, 'reset') === true) {
    if (!node.sealed) return sendErrors(res, 400, ['vault is unsealed']);
    Object.assign(node, { unsealParts: [], nonce: '' });
    return sendJson(res, 200, sealStatusOf(state, i));
  }
  const raw = field(body, 'key');
  if (typeof raw !== 'string' || raw === '') return sendErrors(res, 400, [MISSING_KEY]);
  const key = decodeKey(raw);
  if (key === undefined) return sendErrors(res, 400, ["'key' must be a valid hex or base64 string"]);
  if (!node.sealed) return sendJson(res, 200, sealStatusOf(state, i));
  const cfg = state.sealConfig();
  if (cfg === undefined || !cfg.key_hashes.includes(keyHash(key))) {
    Object.assign(node, { unsealParts: [], nonce: '' });
    return sendErrors(res, 400, ['Unseal failed, invalid key']);
  }
  if (!node.unsealParts.some((p) => p.equals(key))) node.unsealParts.push(key);
  if (node.nonce === '') node.nonce = randomUUID();
  if (node.unsealParts.length >= cfg.secret_threshold) complete(state, i, node.unsealParts);
  sendJson(res, 200, sealStatusOf(state, i));
}
