// One restic "session" per task run: a private 0700 TMPDIR under the scratch dir (pack files, CA, keys),
// the child environment, the common flags, and the three ways we run restic.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../log.ts';
import type { RepositoryConfig } from '../config/config.ts';
import { commonFlags, deathSignalWrapper, niceWrapper, unlockStaleArgs } from './args.ts';
import { spawnSync } from 'node:child_process';
import { resticError } from './exit.ts';
import { redactRepository, repositorySetup, type SecretData } from './repository.ts';
import { makeScrubber } from './scrub.ts';
import { registerSecret } from '../secrets.ts';

// restic 0.14 exits on SIGINT at once, removing its lock; 0.18 blocked reading stdin does not exit until
// the read returns (measured: never, until SIGKILL). After this grace it is killed; the caller then
// clears the dead process's lock with `restic unlock` (stale locks only).
const FORCE_KILL_AFTER_MS = 1500;

export interface ResticSession {
  readonly common: string[];
  readonly cacheEnabled: boolean;
  readonly repositoryForLogs: string;
  scrub(text: string): string;
  // Runs a command to completion; stdout is returned, non-zero exit throws ResticError.
  run(args: string[], signal?: AbortSignal, cwd?: string): Promise<string>;
  // The same, with stdout as the exact bytes restic wrote (key values: never decoded, never trimmed).
  runBytes(args: string[], signal?: AbortSignal): Promise<Buffer>;
  // A process whose stdin we feed; see stream-backup.ts for the ordering rules.
  spawnWithStdin(args: string[]): ResticChild;
  // A process whose stdout we read as a stream (restic dump).
  spawnWithStdout(args: string[]): ResticChild;
  // Runs `restic unlock` (stale locks only) if a restic of this session died without its own cleanup
  // (killed, or stopped early in its start-up) and no other is running: restic probes the pid of every
  // lock of this host with SIGHUP, which would stop a live one.
  clearDeadLocks(): Promise<void>;
  close(): Promise<void>;
}

export interface ResticChild {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly pid: number | undefined;
  // Resolves with stdout (when buffered) once restic exits 0; rejects with ResticError otherwise.
  readonly done: Promise<string | Buffer>;
  // SIGINT first (restic 0.14 then removes its lock), SIGKILL after a grace period.
  kill(): void;
}

export async function openResticSession(
  repo: RepositoryConfig,
  secret: SecretData,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResticSession> {
  const setup = repositorySetup(repo, secret);
  setup.secrets.forEach(registerSecret);
  await mkdir(repo.scratchDir, { recursive: true });
  const tmpDir = await mkdtemp(join(repo.scratchDir, 'tmp-'));
  let caCertPath: string | undefined;
  const childEnv: Record<string, string> = { ...setup.env, TMPDIR: tmpDir };
  for (const f of setup.files) {
    const path = join(tmpDir, f.name);
    await writeFile(path, f.content, { mode: 0o600 });
    if (f.flag === '--cacert') caCertPath = path;
    if (f.env !== undefined) childEnv[f.env] = path;
  }
  let cacheDir: string | undefined;
  if (repo.enableCache) {
    cacheDir = join(repo.scratchDir, 'restic-cache');
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  }
  const common = commonFlags({
    cacheDir,
    caCertPath,
    insecureTls: repo.insecureTls,
    provider: repo.provider,
    maxConnections: repo.maxConnections,
  });
  const scrub = makeScrubber(setup.secrets);
  const wrapper = [...deathSignalWrapper(hasSetprivPdeathsig()), ...niceWrapper(env)];
  if (wrapper[0] !== 'setpriv')
    log.warn('setpriv --pdeathsig is not available: restic would outlive a killed task');
  const repositoryForLogs = redactRepository(setup.repository);

  let running = 0;
  let diedUnclean = false;
  const start = (args: string[], mode: 'stdin' | 'stdout' | 'text' | 'bytes', cwd?: string): ResticChild => {
    const [file, ...rest] = [...wrapper, 'restic', ...args];
    // Each start costs a key derivation: counted by `make bench` from this line.
    log.info({ command: args[0] }, 'restic start');
    const child = execa(file ?? 'restic', rest, {
      env: childEnv,
      extendEnv: true,
      cwd: cwd ?? repo.scratchDir,
      stdin: mode === 'stdin' ? 'pipe' : 'ignore',
      buffer: { stdout: mode !== 'stdout', stderr: false },
      reject: false,
      encoding: mode === 'stdout' || mode === 'bytes' ? 'buffer' : 'utf8',
      stripFinalNewline: false,
    });
    let stderr = '';
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-16_384);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') log.debug({ restic: scrub(line) }, 'restic stderr');
    });
    const command = args[0] ?? 'restic';
    const done = child.then((r): string | Buffer => {
      if (r.exitCode === 0 && !r.isTerminated) {
        if (typeof r.stdout === 'string') return r.stdout;
        return r.stdout instanceof Uint8Array ? Buffer.from(r.stdout) : Buffer.alloc(0);
      }
      throw resticError(command, r.exitCode, r.signal ?? undefined, scrub(stderr));
    });
    done.catch(() => undefined);
    let killTimer: NodeJS.Timeout | undefined;
    let stopped = false;
    running += 1;
    void child.then((r) => {
      running -= 1;
      clearTimeout(killTimer);
      // Stopped by us or by a signal: its lock may be left (0.14 can miss it when SIGINT lands early).
      if (stopped || r.signal !== undefined || r.isTerminated) diedUnclean = true;
    });
    return {
      stdin: child.stdin as Writable,
      stdout: child.stdout,
      pid: child.pid,
      done,
      kill: () => {
        stopped = true;
        child.kill('SIGINT');
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS).unref();
      },
    };
  };

  const runToEnd = async (child: ResticChild, signal: AbortSignal | undefined): Promise<string | Buffer> => {
    const onAbort = (): void => child.kill();
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await child.done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };

  return {
    common,
    cacheEnabled: cacheDir !== undefined,
    repositoryForLogs,
    scrub,
    run: async (args, signal, cwd) => String(await runToEnd(start(args, 'text', cwd), signal)),
    runBytes: async (args, signal) => {
      const out = await runToEnd(start(args, 'bytes'), signal);
      return typeof out === 'string' ? Buffer.from(out) : out;
    },
    spawnWithStdin: (args) => start(args, 'stdin'),
    spawnWithStdout: (args) => start(args, 'stdout'),
    clearDeadLocks: async () => {
      if (!diedUnclean || running > 0) return;
      diedUnclean = false;
      await runToEnd(start(unlockStaleArgs(common), 'text'), undefined).catch((err: unknown) => {
        log.warn(
          { error: err instanceof Error ? err.message : String(err) },
          'could not clear stale restic locks',
        );
      });
    },
    close: () => rm(tmpDir, { recursive: true, force: true }),
  };
}

function hasSetprivPdeathsig(): boolean {
  const r = spawnSync('setpriv', ['--help'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('--pdeathsig');
}
