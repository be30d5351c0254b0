// Locks before a backup (stash-contract §3.4, made safe). An exclusive lock (prune, check, forget) blocks
// our backup. A lock is removed only when its holder is provably dead: restic itself calls it stale (this
// host and the process gone, or 30 minutes unrefreshed), its pod has finished, or its pod is gone and
// restic stopped refreshing it. A holder that may be alive, in a pod or outside Kubernetes, is waited
// for and then named in the error, never removed: removing a live prune's lock can corrupt the repository.
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { catLockArgs, listLocksArgs, unlockAllArgs, unlockStaleArgs } from './args.ts';
import { parseLockIds, probeRepository } from './probe.ts';
import type { ResticSession } from './session.ts';

// 'gone': no pod of that name in the namespace (also any host outside Kubernetes).
export type HolderState = 'running' | 'finished' | 'gone';

export interface LockInfo {
  id: string;
  exclusive: boolean;
  hostname: string;
  pid: number | undefined;
  time: Date | undefined;
}

// restic rewrites a live lock every 5 minutes (0.14 and 0.18); two missed refreshes mean its holder is
// gone, with room for clock skew between hosts.
export const UNREFRESHED_AFTER_MS = 10 * 60_000;
// restic's own rule: older than this, any lock is stale.
const RESTIC_STALE_MS = 30 * 60_000;

export async function readLocks(
  session: ResticSession,
  ids: string[],
  signal?: AbortSignal,
): Promise<LockInfo[]> {
  const locks: LockInfo[] = [];
  for (const id of ids) {
    try {
      const j = JSON.parse(await session.run(catLockArgs(id, session.common), signal)) as Record<
        string,
        unknown
      >;
      const time = typeof j['time'] === 'string' ? new Date(j['time']) : undefined;
      locks.push({
        id,
        exclusive: j['exclusive'] === true,
        hostname: typeof j['hostname'] === 'string' ? j['hostname'] : '',
        pid: typeof j['pid'] === 'number' ? j['pid'] : undefined,
        time: time !== undefined && !Number.isNaN(time.getTime()) ? time : undefined,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      // The lock vanished between list and cat: its holder finished.
    }
  }
  return locks;
}

export interface LockPolicyOptions {
  // Lock ids already listed (the repository probe), so the common case costs no extra restic start.
  lockIds: string[];
  ourHostname: string;
  timeoutMs: number;
  pollMs?: number;
  now?: () => number;
  signal?: AbortSignal;
}

export function describeLock(l: LockInfo, now: number): string {
  const age = l.time === undefined ? 'unknown age' : `${Math.round((now - l.time.getTime()) / 1000)}s old`;
  return `${l.exclusive ? 'exclusive' : 'shared'} lock of ${l.hostname || '(no host)'} pid ${l.pid ?? '?'} (${age})`;
}

// Returns once no exclusive lock blocks a backup; throws naming the holders when the wait runs out.
export async function ensureNoBlockingLock(
  session: ResticSession,
  holderState: (hostname: string) => Promise<HolderState>,
  log: Logger,
  o: LockPolicyOptions,
): Promise<void> {
  const now = o.now ?? Date.now;
  const deadline = now() + o.timeoutMs;
  let ids = o.lockIds;
  for (;;) {
    let locks = await readLocks(session, ids, o.signal);
    if (!locks.some((l) => l.exclusive)) return;
    if (locks.some((l) => resticCallsStale(l, o.ourHostname, now()))) {
      // restic's own judgement, applied by restic: only what it calls stale goes.
      await session.run(unlockStaleArgs(session.common), o.signal);
      ids = (await probeRepository(session, o.signal)).lockIds;
      locks = await readLocks(session, ids, o.signal);
      if (!locks.some((l) => l.exclusive)) return;
    }
    const judged = await Promise.all(
      locks.map(async (l) => ({ lock: l, dead: isDead(l, await holderState(l.hostname), now()) })),
    );
    const alive = judged.filter((j) => !j.dead).map((j) => j.lock);
    if (alive.length === 0) {
      // `unlock --remove-all` takes every lock: only when the set is still exactly the one judged dead.
      const again = parseLockIds(await session.run(listLocksArgs(session.common), o.signal));
      if (sameSet(again, ids)) {
        log.warn(
          { holders: locks.map((l) => describeLock(l, now())) },
          'removing restic locks whose holders have finished or are gone',
        );
        await session.run(unlockAllArgs(session.common), o.signal);
        return;
      }
      ids = again;
      continue;
    }
    const holders = alive.map((l) => describeLock(l, now()));
    if (now() >= deadline) {
      throw new TaskError(
        'restic',
        `the restic repository is locked by holders that may still be running: ${holders.join('; ')}. ` +
          'Wait for them to finish, or remove the lock with `restic unlock --remove-all` once you know they are gone',
      );
    }
    log.info({ holders }, 'waiting for restic lock holders that may still be running');
    await sleep(
      Math.min(o.pollMs ?? 5000, Math.max(0, deadline - now())),
      undefined,
      o.signal ? { signal: o.signal } : {},
    );
    ids = (await probeRepository(session, o.signal)).lockIds;
  }
}

// What `restic unlock` (without --remove-all) would remove.
function resticCallsStale(l: LockInfo, ourHostname: string, now: number): boolean {
  if (l.time !== undefined && now - l.time.getTime() > RESTIC_STALE_MS) return true;
  return l.hostname === ourHostname;
}

function isDead(l: LockInfo, holder: HolderState, now: number): boolean {
  if (holder === 'finished') return true;
  if (holder === 'running') return false;
  return l.time !== undefined && now - l.time.getTime() > UNREFRESHED_AFTER_MS;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
