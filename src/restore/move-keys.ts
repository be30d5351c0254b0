// After Vault accepted a force restore it is sealed and only the backup's keys unseal it: they must land
// under the new cluster's names. Transient store failures are retried; if storing still fails, the error
// says so plainly and gives the exact restic commands that recover each key by hand.
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskError } from '../errors.ts';
import type { KeyStore, KeyValue } from '../keys/store.ts';
import type { Logger } from '../log.ts';
import type { LocatedKeys } from './backup-keys.ts';

const ATTEMPTS = 4;
const FIRST_DELAY_MS = 500;

export async function storeMovedKeys(
  store: KeyStore,
  newNames: string[],
  oldKeys: KeyValue[],
  located: LocatedKeys,
  repository: string,
  log: Logger,
  signal?: AbortSignal,
  firstDelayMs = FIRST_DELAY_MS,
): Promise<void> {
  let stored = 0;
  let last: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      for (; stored < oldKeys.length; stored++) {
        await store.set(newNames[stored] ?? '', oldKeys[stored]?.value ?? Buffer.alloc(0), signal);
      }
      return;
    } catch (err) {
      last = err;
      if (signal?.aborted === true || attempt + 1 === ATTEMPTS) break;
      const delayMs = firstDelayMs * 2 ** attempt;
      log.warn(
        {
          store: store.description,
          key: newNames[stored],
          error: (err as Error).message,
          retryInMs: delayMs,
        },
        'could not store a moved key; retrying',
      );
      await sleep(delayMs, undefined, signal ? { signal } : {}).catch(() => undefined);
    }
  }
  throw new TaskError('keys', recoveryMessage(store, newNames, located, repository, stored, last), {
    cause: last,
  });
}

function recoveryMessage(
  store: KeyStore,
  newNames: string[],
  located: LocatedKeys,
  repository: string,
  stored: number,
  cause: unknown,
): string {
  const why = cause instanceof Error ? cause.message : String(cause);
  const quoted = located.source.kind === 'go-addon' ? ' (the file holds the key JSON-quoted)' : '';
  const steps = located.keys
    .map((k, i) => `restic -r ${repository} dump ${k.snapshotId} ${k.path} → ${newNames[i] ?? '?'}${quoted}`)
    .slice(stored);
  return (
    `Vault accepted the snapshot and is now sealed with the backup's unseal keys, but storing them in ` +
    `${store.description} failed after ${ATTEMPTS} attempts (${stored} of ${newNames.length} stored): ${why}. ` +
    `Recover the rest with the repository password and store each under its new name, then unseal: ${steps.join('; ')}`
  );
}
