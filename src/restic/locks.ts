// Stale-lock handling before a backup (stash-contract §3.4), made safe: an exclusive lock blocks our
// backup; it is removed only when the pod that holds it is gone or finished AND no other lock belongs
// to a pod that is still running, because `unlock --remove-all` removes every lock.
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { catLockArgs, listLocksArgs, unlockAllArgs } from './args.ts';
import type { ResticSession } from './session.ts';

export type HolderState = 'running' | 'finished' | 'gone';

export interface LockInfo {
  id: string;
  exclusive: boolean;
  hostname: string;
  pid: number | undefined;
}

export async function listLocks(session: ResticSession, signal?: AbortSignal): Promise<LockInfo[]> {
  const out = await session.run(listLocksArgs(session.common), signal);
  const ids = out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-f]{64}$/.test(l));
  const locks: LockInfo[] = [];
  for (const id of ids) {
    try {
      const j = JSON.parse(await session.run(catLockArgs(id, session.common), signal)) as Record<
        string,
        unknown
      >;
      locks.push({
        id,
        exclusive: j['exclusive'] === true,
        hostname: typeof j['hostname'] === 'string' ? j['hostname'] : '',
        pid: typeof j['pid'] === 'number' ? j['pid'] : undefined,
      });
    } catch {
      // The lock vanished between list and cat: its holder finished.
    }
  }
  return locks;
}

export async function ensureNoStaleExclusiveLock(
  session: ResticSession,
  holderState: (podName: string) => Promise<HolderState>,
  log: Logger,
  o: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 10 * 60_000);
  for (;;) {
    const locks = await listLocks(session, o.signal);
    const exclusive = locks.find((l) => l.exclusive);
    if (exclusive === undefined) return;
    const states = new Map<string, HolderState>();
    for (const l of locks) if (!states.has(l.hostname)) states.set(l.hostname, await holderState(l.hostname));
    const alive = [...states].filter(([, s]) => s === 'running').map(([h]) => h);
    if (alive.length === 0) {
      log.warn(
        { holders: [...states.keys()] },
        'removing restic locks left by pods that are no longer running',
      );
      await session.run(unlockAllArgs(session.common), o.signal);
      return;
    }
    if (Date.now() > deadline) {
      throw new TaskError(
        'restic',
        `restic repository is locked exclusively by pod(s) still running: ${alive.join(', ')}`,
      );
    }
    log.info({ holders: alive }, 'waiting for a running pod to release its restic lock');
    await sleep(o.pollMs ?? 5000, undefined, o.signal ? { signal: o.signal } : {});
  }
}
