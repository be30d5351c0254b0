// Vault answers 204 before the restore is applied (vault-snapshot-api §2): wait until the node is back,
// either active and unsealed on a newer raft index, or (force) sealed and waiting for the restored cluster's keys.
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { SMALL_CALL_DEADLINE_MS, type VaultClient } from './client.ts';
import { readHealth } from './health.ts';

const SEALED_SETTLE_MS = 2000;

export type RestoredState = 'active-unsealed' | 'sealed';

export async function raftIndex(
  client: VaultClient,
  baseUrl: string,
  signal?: AbortSignal,
): Promise<number | undefined> {
  try {
    const l = await client.json(baseUrl, 'sys/leader', signal ? { signal } : {});
    const n = l['raft_committed_index'];
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

export async function waitUntilRestored(
  client: VaultClient,
  nodeUrl: string,
  indexBefore: number | undefined,
  timeoutMs: number,
  force: boolean,
  log: Logger,
  signal?: AbortSignal,
): Promise<RestoredState> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  let sealedSince: number | undefined;
  let lastLog = 0;
  for (;;) {
    try {
      const left = Math.max(1, deadline - Date.now());
      const h = await readHealth(client, nodeUrl, signal, Math.min(left, SMALL_CALL_DEADLINE_MS));
      // The node also looks sealed while it applies; only a force restore may end sealed, once it stays so.
      sealedSince = h.sealed ? (sealedSince ?? Date.now()) : undefined;
      if (sealedSince !== undefined && force && Date.now() - sealedSince >= SEALED_SETTLE_MS) return 'sealed';
      if (h.sealed) last = 'sealed';
      else if (!h.standby) {
        const index = await raftIndex(client, nodeUrl, signal);
        if (indexBefore === undefined || (index !== undefined && index > indexBefore))
          return 'active-unsealed';
        last = 'active, restore not applied yet';
      } else if (!h.sealed) last = 'standby';
    } catch (err) {
      if (signal?.aborted) throw err;
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline)
      throw new TaskError(
        'timeout',
        `Vault did not come back after the restore within ${Math.round(timeoutMs / 1000)}s; last state: ${last}`,
      );
    if (Date.now() - lastLog >= 5000) {
      log.info({ state: last }, 'waiting for Vault to apply the restored snapshot');
      lastLog = Date.now();
    }
    await sleep(250, undefined, signal ? { signal } : {});
  }
}
