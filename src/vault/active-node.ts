// Finds the active node before any snapshot request, so a standby's 307 (empty body) or an OpenBao
// standby read never reaches restic or receives an upload (vault-snapshot-api §1, hashicorp/vault#15258).
import type { Logger } from '../log.ts';
import { VaultError } from '../errors.ts';
import type { VaultClient } from './client.ts';
import { readHealth } from './health.ts';

export interface LeaderInfo {
  isSelf: boolean;
  leaderAddress: string;
  leaderClusterAddress: string;
}

export async function readLeader(
  client: VaultClient,
  baseUrl: string,
  signal?: AbortSignal,
): Promise<LeaderInfo> {
  const l = await client.json(baseUrl, 'sys/leader', signal ? { signal } : {});
  return {
    isSelf: l['is_self'] === true,
    leaderAddress: typeof l['leader_address'] === 'string' ? l['leader_address'] : '',
    leaderClusterAddress: typeof l['leader_cluster_address'] === 'string' ? l['leader_cluster_address'] : '',
  };
}

// Where the active node may be reached: its api_addr, then the Go addon's rewrite of the cluster address
// to `<scheme>://<pod>.<namespace>.svc:<port>` for api_addrs that do not resolve from the job's pod.
export function leaderCandidates(leader: LeaderInfo, serviceUrl: string, namespace: string): string[] {
  const out: string[] = [];
  if (leader.leaderAddress !== '') out.push(leader.leaderAddress);
  const service = new URL(serviceUrl);
  try {
    const host = new URL(leader.leaderClusterAddress).hostname;
    if (host !== '') {
      const isIp = /^[\d.]+$/.test(host) || host.includes(':');
      const name = isIp ? host : `${host.split('.')[0] ?? host}.${namespace}.svc`;
      out.push(
        `${service.protocol}//${isIp && host.includes(':') ? `[${host}]` : name}:${service.port || (service.protocol === 'https:' ? '443' : '80')}`,
      );
    }
  } catch {
    // No usable cluster address: the api_addr alone must do.
  }
  return [...new Set(out)];
}

// Returns the base URL of a node that reports itself active and unsealed right now.
export async function findActiveNode(
  client: VaultClient,
  serviceUrl: string,
  namespace: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<string> {
  const leader = await readLeader(client, serviceUrl, signal);
  const candidates = leaderCandidates(leader, serviceUrl, namespace);
  const tried: string[] = [];
  for (const url of candidates) {
    try {
      const h = await readHealth(client, url, signal);
      if (h.initialized && !h.sealed && !h.standby) {
        log.info({ activeNode: url }, 'found the active Vault node');
        return url;
      }
      tried.push(`${url} (${h.sealed ? 'sealed' : 'standby'})`);
    } catch (err) {
      tried.push(`${url} (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (leader.isSelf) {
    log.warn({ tried }, 'leader address not reachable; using the service, which answered as the active node');
    return serviceUrl;
  }
  throw new VaultError(
    `could not reach the active Vault node: ${tried.length > 0 ? tried.join(', ') : 'Vault reports no leader'}`,
  );
}
