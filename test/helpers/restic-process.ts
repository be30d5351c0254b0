// Waits on restic processes from the outside (the shim's start log and /proc), so a test can act at a
// precise point of restic's own work: once it has read N bytes of input, once its lock file exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResticShim, ResticStart } from './restic-shim.ts';

const POLL_MS = 10;

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

// The first restic start after `fromIndex` that matches.
export function waitForStart(
  shim: ResticShim,
  match: (argv: string[]) => boolean,
  fromIndex = 0,
  timeoutMs = 30_000,
): Promise<ResticStart> {
  return until('a restic start', timeoutMs, () =>
    shim
      .starts()
      .slice(fromIndex)
      .find((s) => match(s.argv)),
  );
}

export const isRaftBackup = (argv: string[]): boolean =>
  argv[0] === 'backup' && argv.includes('--stdin') && argv.includes('vault-raft.snap');

// Bytes the process has read so far (all reads: stdin and files), or undefined once it is gone.
export function bytesRead(pid: number): number | undefined {
  try {
    const m = /rchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

export function waitForBytesRead(pid: number, bytes: number, timeoutMs = 30_000): Promise<number> {
  return until(`restic ${pid} to read ${bytes} bytes`, timeoutMs, () => {
    const n = bytesRead(pid);
    if (n === undefined) throw new Error(`restic ${pid} exited before reading ${bytes} bytes`);
    return n >= bytes ? n : undefined;
  });
}

export function isRunning(pid: number): boolean {
  try {
    // A zombie has exited: only its entry is left.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export function waitForExit(pid: number, timeoutMs = 30_000): Promise<true> {
  return until(`process ${pid} to exit`, timeoutMs, () => (isRunning(pid) ? undefined : true));
}

// Lock files of a local repository, by file name.
export function lockFiles(repoDir: string): string[] {
  const dir = join(repoDir, 'locks');
  return existsSync(dir) ? readdirSync(dir) : [];
}

export function waitForLockFile(repoDir: string, except: string[] = [], timeoutMs = 30_000): Promise<string> {
  return until('a restic lock file', timeoutMs, () => lockFiles(repoDir).find((f) => !except.includes(f)));
}
