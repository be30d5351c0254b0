// Feeds a stream into `restic backup --stdin` without ever letting restic see EOF on bad input
// (restic-and-peers B.1: restic commits whatever it got before EOF as a good snapshot). The order is:
// every chunk goes to restic and to `inspect` at once (verification runs beside restic's ingest, at
// most MAX_INSPECT_LAG bytes behind); stdin is ended only after every inspection, `verify()` and
// `beforeCommit()` succeeded; on any failure restic is killed and awaited first, and only then is its
// stdin torn down.
import type { Readable } from 'node:stream';
import type { ResticChild } from './session.ts';
import { parseBackupSummary, type BackupSummary } from './json.ts';
import { CancelledError } from '../errors.ts';

// Enough for the verifier to run on the other core while restic works, little enough to stay small.
const MAX_INSPECT_LAG = 8 << 20;

export interface StreamHooks {
  // Called in order with every chunk, overlapping restic's ingest; a rejection aborts the backup.
  inspect?: (chunk: Buffer) => Promise<void>;
  // Called after the source ended; a rejection aborts the backup (e.g. archive incomplete).
  verify?: () => Promise<void>;
  // Called right before restic's stdin is ended, e.g. to wait for objects that must commit first.
  beforeCommit?: () => Promise<void>;
  onBytes?: (total: number) => void;
  signal?: AbortSignal;
}

export interface StreamResult {
  summary: BackupSummary;
  bytes: number;
}

export async function streamIntoRestic(
  child: ResticChild,
  source: Readable,
  hooks: StreamHooks = {},
): Promise<StreamResult> {
  let bytes = 0;
  // restic dying early (bad repo, lock) must surface as its own error, not as EPIPE on our side.
  let resticExit: unknown;
  const exited = child.done.then(
    () => new Error('restic exited before its input ended'),
    (err: unknown) => err,
  );
  void exited.then((e) => (resticExit = e));
  child.stdin.on('error', () => undefined);
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = (): void =>
      reject(hooks.signal?.reason instanceof Error ? hooks.signal.reason : new CancelledError('SIGTERM'));
    if (hooks.signal?.aborted) onAbort();
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const guard = <T>(p: Promise<T>): Promise<T> =>
    Promise.race([p, aborted, exited.then((e) => Promise.reject(e as Error))]);
  const inspections = new InspectionQueue(hooks.inspect);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (resticExit !== undefined)
        throw resticExit instanceof Error ? resticExit : new Error('restic exited early');
      inspections.add(chunk);
      bytes += chunk.length;
      hooks.onBytes?.(bytes);
      if (!child.stdin.write(chunk)) await guard(new Promise<void>((r) => child.stdin.once('drain', r)));
      await guard(inspections.within(MAX_INSPECT_LAG));
    }
    await guard(inspections.within(0));
    await guard(hooks.verify?.() ?? Promise.resolve());
    await guard(hooks.beforeCommit?.() ?? Promise.resolve());
  } catch (err) {
    source.destroy();
    child.kill();
    await child.done.catch(() => undefined);
    child.stdin.destroy();
    throw err;
  }
  child.stdin.end();
  const stdout = await child.done;
  return { summary: parseBackupSummary(stdout), bytes };
}

// Runs `inspect` on chunks one after another, off the write path; the first failure is kept and
// reported by the next within().
class InspectionQueue {
  private readonly inspect: ((chunk: Buffer) => Promise<void>) | undefined;
  private readonly pending: Array<{ done: Promise<void>; settled: boolean }> = [];
  private tail: Promise<void> = Promise.resolve();
  private lag = 0;
  private failure: Error | undefined;

  constructor(inspect: ((chunk: Buffer) => Promise<void>) | undefined) {
    this.inspect = inspect;
  }

  add(chunk: Buffer): void {
    const inspect = this.inspect;
    if (inspect === undefined) return;
    const bytes = chunk.length;
    this.lag += bytes;
    const entry = { done: Promise.resolve(), settled: false };
    entry.done = this.tail
      .then(async () => {
        if (this.failure === undefined) await inspect(chunk);
      })
      .catch((err: unknown) => void (this.failure ??= err instanceof Error ? err : new Error(String(err))))
      .finally(() => {
        this.lag -= bytes;
        entry.settled = true;
      });
    this.tail = entry.done;
    while (this.pending[0]?.settled === true) this.pending.shift();
    this.pending.push(entry);
  }

  // Resolves once at most `maxLag` bytes are still uninspected; rejects with the first failure.
  async within(maxLag: number): Promise<void> {
    while (this.lag > maxLag && this.pending.length > 0) await this.pending.shift()?.done;
    if (this.failure !== undefined) throw this.failure;
  }
}
