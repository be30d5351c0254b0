// Waits until Vault is initialized and unsealed, as the Go addon did (poll sys/health until
// --wait-timeout), but with TLS verified and a clear report of the last state seen.
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { VaultClient } from './client.ts';

export interface HealthState {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
}

// All status overrides set to 200 so the body is always readable.
const HEALTH_QUERY = {
  standbycode: '200',
  sealedcode: '200',
  uninitcode: '200',
  performancestandbycode: '200',
  drsecondarycode: '200',
};

export async function readHealth(
  client: VaultClient,
  baseUrl: string,
  signal?: AbortSignal,
): Promise<HealthState> {
  const h = await client.json(baseUrl, 'sys/health', { query: HEALTH_QUERY, ...(signal ? { signal } : {}) });
  return {
    initialized: h['initialized'] === true,
    sealed: h['sealed'] !== false,
    standby: h['standby'] === true,
  };
}

export async function waitForUnsealed(
  client: VaultClient,
  baseUrl: string,
  timeoutMs: number,
  log: Logger,
  signal?: AbortSignal,
): Promise<HealthState> {
  const deadline = Date.now() + timeoutMs;
  let delayMs = 250;
  let last: string;
  for (;;) {
    try {
      const h = await readHealth(client, baseUrl, signal);
      if (h.initialized && !h.sealed) return h;
      last = h.initialized ? 'sealed' : 'not initialized';
    } catch (err) {
      if (signal?.aborted) throw err;
      last = err instanceof Error ? err.message : String(err);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new TaskError(
        'timeout',
        `Vault at ${baseUrl} was not ready (initialized and unsealed) within ${Math.round(timeoutMs / 1000)}s; last state: ${last}`,
      );
    }
    log.info(
      { vault: baseUrl, state: last, secondsLeft: Math.round(left / 1000) },
      'waiting for Vault to be ready',
    );
    await sleep(Math.min(delayMs, left), undefined, signal ? { signal } : {});
    delayMs = Math.min(delayMs * 2, 5000);
  }
}
