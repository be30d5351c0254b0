// Feeds a stream into `restic backup --stdin` without ever letting restic see EOF on bad input
// (restic-and-peers B.1: restic commits whatever it got before EOF as a good snapshot). The order is:
// every chunk is verified as it passes; stdin is ended only after `verify()` and `beforeCommit()` succeed;
// on any failure restic is killed and awaited first, and only then is its stdin torn down.
import type { Readable } from 'node:stream';
import type { ResticChild } from './session.ts';
import { parseBackupSummary, type BackupSummary } from './json.ts';
import { CancelledError } from '../errors.ts';

export interface StreamHooks {
  // Called with every chunk before it is handed to restic; a rejection aborts the backup.
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
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (resticExit !== undefined)
        throw resticExit instanceof Error ? resticExit : new Error('restic exited early');
      await guard(hooks.inspect?.(chunk) ?? Promise.resolve());
      bytes += chunk.length;
      hooks.onBytes?.(bytes);
      if (!child.stdin.write(chunk)) await guard(new Promise<void>((r) => child.stdin.once('drain', r)));
    }
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
