// Unauthenticated status endpoints answered by each node itself: GET /v1/sys/leader and /v1/sys/seal-status
// (vault-snapshot-api.md §4). The leaderAddress / leaderClusterAddress faults override what sys/leader reports.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterState } from './cluster-state.ts';
import { sendErrors, sendJson, sendSealed } from './http-util.ts';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function handleLeader(
  state: ClusterState,
  i: number,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (req.method !== 'GET') return sendErrors(res, 405, []);
  if (!state.isAvailable(i)) return sendSealed(res);
  const self = state.isActiveNode(i);
  const f = state.faults;
  const leader = self || f.leaderUnknown !== true ? state.nodes[state.active] : undefined;
  sendJson(res, 200, {
    ha_enabled: true,
    is_self: self,
    active_time: self ? state.activeSince.toISOString() : ZERO_TIME,
    leader_address: f.leaderAddress ?? leader?.apiAddr ?? '',
    leader_cluster_address: f.leaderClusterAddress ?? leader?.clusterAddr ?? '',
    performance_standby: false,
    performance_standby_last_remote_wal: 0,
    raft_committed_index: state.index,
    raft_applied_index: state.index,
  });
}

// The seal-status object (also the body of every successful sys/unseal answer).
export function sealStatusOf(state: ClusterState, i: number): Record<string, unknown> {
  const node = state.nodes[i];
  const cfg = state.sealConfig();
  const sealed = node?.sealed ?? true;
  const info = state.clusterInfo();
  return {
    type: 'shamir',
    initialized: true,
    sealed,
    t: cfg?.secret_threshold ?? 0,
    n: cfg?.secret_shares ?? 0,
    progress: sealed ? (node?.unsealParts.length ?? 0) : 0,
    nonce: sealed ? (node?.nonce ?? '') : '',
    version: state.version,
    build_date: '2025-11-20T10:00:00Z',
    migration: false,
    ...(sealed ? {} : { cluster_name: info.name, cluster_id: info.id }),
    recovery_seal: false,
    storage_type: 'raft',
  };
}

export function handleSealStatus(
  state: ClusterState,
  i: number,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (req.method !== 'GET') return sendErrors(res, 405, []);
  sendJson(res, 200, sealStatusOf(state, i));
}
