// Feeds a stream into `restic backup --stdin` without ever letting restic see EOF on bad input
// (restic-and-peers B.1: restic commits whatever it got before EOF as a good snapshot). The order is:
// every batch goes to restic and to `inspect` at once (verification runs beside restic's ingest, a few
// batches behind at most); stdin is ended only after every inspection, `verify()` and `beforeCommit()`
// succeeded; on any failure restic is killed and awaited first, and only then is its stdin torn down.
import type { Readable, Writable } from 'node:stream';
import type { ResticChild } from './session.ts';
import { parseBackupSummary, type BackupSummary } from './json.ts';
import { CancelledError } from '../errors.ts';
import { BatchPool, shared } from '../stream/batch-pool.ts';
import { InspectionQueue } from '../stream/inspection-queue.ts';
import { untilStopped } from '../stream/until-stopped.ts';

// Network pieces (16-64 KiB) are joined into batches of this size: per-piece costs (a pipe write, a
// verifier step, a promise) add up over a GiB.
export const BATCH_SIZE = 1 << 20;
// Batches in flight: one filling, one in restic's pipe, the rest waiting for the verifier.
const POOL_BATCHES = 4;

export interface StreamHooks {
  // Called in order with every batch, overlapping restic's ingest; a throw aborts the backup. The
  // buffer is reused once it returns.
  inspect?: (chunk: Buffer) => void;
  // Called after the source ended; a throw aborts the backup (e.g. archive incomplete).
  verify?: () => void;
  // Called right before restic's stdin is ended, e.g. to wait for objects that must commit first.
  beforeCommit?: () => Promise<void>;
  onBytes?: (total: number) => void;
  // Called once, when the first bytes are handed to restic.
  onFirstBytes?: () => void;
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
  // task is cancelled. One controller for the whole stream: nothing accumulates per batch.
  const stop = new AbortController();
  void child.done.then(
    () => stop.abort(new Error('restic exited before its input ended')),
    (err: unknown) => stop.abort(err),
  );
  const onAbort = (): void =>
    stop.abort(hooks.signal?.reason instanceof Error ? hooks.signal.reason : new CancelledError('SIGTERM'));
  if (hooks.signal?.aborted) onAbort();
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  const guard = <T>(p: Promise<T>): Promise<T> => untilStopped(p, stop.signal);
  child.stdin.on('error', () => undefined);
  const pool = new BatchPool(POOL_BATCHES, BATCH_SIZE);
  const inspections = new InspectionQueue(hooks.inspect);
  let batch = await pool.take();
  let fill = 0;
  // Hands the filled part of the current batch to restic and the verifier, then takes a fresh buffer
  // (waiting, guarded, when both are still busy with all the others).
  const send = async (): Promise<void> => {
    const chunk = batch.subarray(0, fill);
    const release = shared(pool, batch, 2);
    if (bytes === 0) hooks.onFirstBytes?.();
    bytes += fill;
    hooks.onBytes?.(bytes);
    inspections.add(chunk, release);
    if (!child.stdin.write(chunk, () => release())) await drained(child.stdin, stop.signal);
    batch = await guard(pool.take());
    fill = 0;
    inspections.throwIfFailed();
  };
  try {
    const pieces = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    for (;;) {
      // Guarded, so a cancel is acted on at once even while a slow source fills the next batch.
      const next = await guard(pieces.next());
      if (next.done === true) break;
      const piece: Buffer = next.value;
      for (let off = 0; off < piece.length;) {
        const n = piece.copy(batch, fill, off);
        fill += n;
        off += n;
        if (fill === batch.length) await send();
      }
    }
    if (fill > 0) await send();
    await guard(inspections.idle());
    hooks.verify?.();
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
  return { summary: parseBackupSummary(String(stdout)), bytes };
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
