// Waits until Vault is initialized and unsealed, as the Go addon did (poll sys/health until
// --wait-timeout), but with TLS verified, each attempt bounded by the time left, permanent failures
// (certificate, host name, refused token) reported at once, and the last state seen named on timeout.
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { redactUrl } from '../secrets.ts';
import { SMALL_CALL_DEADLINE_MS, type VaultClient } from './client.ts';
import { describeAttempt, permanentCause } from './failure.ts';

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
  deadlineMs = SMALL_CALL_DEADLINE_MS,
): Promise<HealthState> {
  const h = await client.json(baseUrl, 'sys/health', {
    query: HEALTH_QUERY,
    deadlineMs,
    ...(signal ? { signal } : {}),
  });
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
  let last = 'no answer yet';
  for (;;) {
    const left = Math.max(1, deadline - Date.now());
    const attemptMs = Math.min(left, SMALL_CALL_DEADLINE_MS);
    try {
      const h = await readHealth(client, baseUrl, signal, attemptMs);
      if (h.initialized && !h.sealed) return h;
      last = h.initialized ? 'sealed' : 'not initialized';
    } catch (err) {
      if (signal?.aborted) throw err;
      const permanent = permanentCause(err);
      if (permanent !== undefined) {
        throw new TaskError('vault', `cannot reach Vault at ${redactUrl(baseUrl)}: ${permanent}`, {
          cause: err,
        });
      }
      // An attempt cut short by the end of the wait says nothing new about Vault.
      const cutShort =
        err instanceof Error && err.name === 'TimeoutError' && attemptMs < SMALL_CALL_DEADLINE_MS;
      if (!cutShort || last === 'no answer yet') last = describeAttempt(err);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new TaskError(
        'timeout',
        `Vault at ${redactUrl(baseUrl)} was not ready (initialized and unsealed) within ${Math.round(timeoutMs / 1000)}s; last state: ${last}`,
      );
    }
    log.info(
      { vault: redactUrl(baseUrl), state: last, secondsLeft: Math.round(remaining / 1000) },
      'waiting for Vault to be ready',
    );
    await sleep(Math.min(delayMs, remaining), undefined, signal ? { signal } : {});
    delayMs = Math.min(delayMs * 2, 5000);
  }
}
