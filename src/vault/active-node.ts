// Finds the active node before any snapshot request, so a standby's 307 (empty body) or an OpenBao
// standby read never reaches restic or receives an upload (vault-snapshot-api §1, hashicorp/vault#15258).
// Leader addresses are only tried where the token may go (confine.ts); others are skipped, named.
import type { Logger } from '../log.ts';
import { VaultError } from '../errors.ts';
import { redactUrl } from '../secrets.ts';
import type { VaultClient } from './client.ts';
import { refuseTarget, urlHost } from './confine.ts';
import { describeAttempt } from './failure.ts';
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
    const host = new URL(leader.leaderClusterAddress).hostname.replace(/^\[(.*)\]$/, '$1');
    if (host !== '') {
      const isIp = /^[\d.]+$/.test(host) || host.includes(':');
      const name = isIp ? urlHost(host) : `${host.split('.')[0] ?? host}.${namespace}.svc`;
      const port = service.port || (service.protocol === 'https:' ? '443' : '80');
      out.push(`${service.protocol}//${name}:${port}`);
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
    const refused = refuseTarget(url, serviceUrl, client.tls);
    if (refused !== undefined) {
      log.warn(
        { candidate: redactUrl(url), why: refused },
        'not sending the Vault token to this leader address',
      );
      tried.push(`${redactUrl(url)} (skipped: ${refused})`);
      continue;
    }
    try {
      const h = await readHealth(client, url, signal);
      if (h.initialized && !h.sealed && !h.standby) {
        log.info({ activeNode: redactUrl(url) }, 'found the active Vault node');
        return url;
      }
      tried.push(`${redactUrl(url)} (${h.sealed ? 'sealed' : 'standby'})`);
    } catch (err) {
      if (signal?.aborted) throw err;
      log.warn({ candidate: redactUrl(url), error: describeAttempt(err) }, 'leader address not usable');
      tried.push(`${redactUrl(url)} (${describeAttempt(err)})`);
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
