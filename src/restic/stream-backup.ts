// Feeds a stream into `restic backup --stdin` without ever letting restic see EOF on bad input
// (restic-and-peers B.1: restic commits whatever it got before EOF as a good snapshot). The order is:
// every chunk goes to restic and to `inspect` at once (verification runs beside restic's ingest, at
// most MAX_INSPECT_LAG bytes behind); stdin is ended only after every inspection, `verify()` and
// `beforeCommit()` succeeded; on any failure restic is killed and awaited first, and only then is its
// stdin torn down.
import type { Readable, Writable } from 'node:stream';
import type { ResticChild } from './session.ts';
import { parseBackupSummary, type BackupSummary } from './json.ts';
import { CancelledError } from '../errors.ts';
import { BATCH_SIZE, coalesce } from '../stream/batches.ts';
import { InspectionQueue } from '../stream/inspection-queue.ts';

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
  // Stops the waits below when restic dies early (bad repo, lock: its own error, not our EPIPE) or the
  // task is cancelled. One controller for the whole stream: nothing accumulates per chunk.
  const stop = new AbortController();
  void child.done.then(
    () => stop.abort(new Error('restic exited before its input ended')),
    (err: unknown) => stop.abort(err),
  );
  const onAbort = (): void =>
    stop.abort(hooks.signal?.reason instanceof Error ? hooks.signal.reason : new CancelledError('SIGTERM'));
  if (hooks.signal?.aborted) onAbort();
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  const stopped = new Promise<never>((_, reject) => {
    stop.signal.addEventListener('abort', () => reject(stop.signal.reason as Error), { once: true });
  });
  stopped.catch(() => undefined);
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, stopped]);
  child.stdin.on('error', () => undefined);
  const inspections = new InspectionQueue(hooks.inspect);
  try {
    const batches = coalesce(source as AsyncIterable<Buffer>, BATCH_SIZE);
    for (;;) {
      // Raced, so a cancel is acted on at once even while a slow source fills the next batch.
      const next = await guard(batches.next());
      if (next.done === true) break;
      const chunk = next.value;
      inspections.add(chunk);
      bytes += chunk.length;
      hooks.onBytes?.(bytes);
      if (!child.stdin.write(chunk)) await drained(child.stdin, stop.signal);
      await inspections.within(MAX_INSPECT_LAG);
    }
    await guard(inspections.within(0));
    await guard(hooks.verify?.() ?? Promise.resolve());
    await guard(hooks.beforeCommit?.() ?? Promise.resolve());
    stop.signal.throwIfAborted();
  } catch (err) {
    source.destroy();
    child.kill();
    await child.done.catch(() => undefined);
    child.stdin.destroy();
    throw err;
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
  }
  child.stdin.end();
  const stdout = await child.done;
  return { summary: parseBackupSummary(stdout), bytes };
}

// Resolves on 'drain'; rejects only through `signal` (restic's exit or a cancel), so an EPIPE from a
// restic that is dying surfaces as restic's own error.
function drained(stdin: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      stdin.off('drain', onDrain);
      reject(signal.reason as Error);
    };
    const onDrain = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    stdin.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
