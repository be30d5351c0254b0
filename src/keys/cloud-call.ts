// Every request a cloud unsealer store sends goes through boundedCall: a deadline per attempt, a bounded
// number of attempts with exponential backoff, a bound on the whole call, and the caller's AbortSignal. A
// server that accepts the connection and never answers costs at most `totalMs`; an abort returns at once.
// The SDKs' own retries are switched off so that these numbers are the only ones that count.
import { TaskError } from '../errors.ts';

export interface CloudDeadlines {
  // One attempt: connect, send, and the whole answer.
  attemptMs: number;
  // Attempts per call, the first included; only transient failures (and no answer) are tried again.
  attempts: number;
  // Wait before the second attempt, doubled before each further one.
  backoffMs: number;
  // The whole call, attempts and waits included.
  totalMs: number;
}

// Production defaults: 10 s per attempt, 3 attempts, 0.5 s then 1 s between them, 30 s in all. A dead
// endpoint therefore fails a store call in at most 30 s, well inside any Stash task timeout.
export const DEFAULT_DEADLINES: Readonly<CloudDeadlines> = {
  attemptMs: 10_000,
  attempts: 3,
  backoffMs: 500,
  totalMs: 30_000,
};

// The defaults with the given overrides (tests shorten them); nonsense values are a programming error.
export function cloudDeadlines(overrides: Partial<CloudDeadlines> = {}): CloudDeadlines {
  const d = { ...DEFAULT_DEADLINES, ...overrides };
  for (const [k, v] of Object.entries(d)) {
    if (!Number.isFinite(v) || v < 0 || (k !== 'backoffMs' && v <= 0)) {
      throw new TypeError(`cloud deadline ${k} must be a positive number, got ${String(v)}`);
    }
  }
  return { ...d, attempts: Math.floor(d.attempts) };
}

// SDK-level timeouts are set a little beyond the attempt's own deadline: they only end a request
// boundedCall already gave up on (for SDKs that cannot be aborted per call), never decide first.
export const sdkTimeoutMs = (d: CloudDeadlines): number => d.attemptMs + 1_000;

const duration = (ms: number): string =>
  ms < 1_000 ? `${Math.round(ms)}ms` : `${+(ms / 1_000).toFixed(1)}s`;

// The request got no (complete) answer in time.
export class NoAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoAnswerError';
  }
}

// The caller's signal fired; `reason` is the signal's reason.
export class CallCancelled extends Error {
  readonly reason: unknown;
  constructor(reason: unknown) {
    super('cancelled');
    this.name = 'CallCancelled';
    this.reason = reason;
  }
}

// One attempt, raced against its deadline and the caller's signal: whichever comes first settles it, and the
// SDK call is aborted through the signal it was given. A late answer or error of the SDK is dropped.
async function attempt<T>(
  call: (signal: AbortSignal) => Promise<T>,
  ms: number,
  outer: AbortSignal | undefined,
): Promise<T> {
  const own = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    onAbort = () => {
      own.abort(outer?.reason);
      reject(new CallCancelled(outer?.reason));
    };
    timer = setTimeout(() => {
      const err = new NoAnswerError(`no answer within ${duration(ms)}`);
      own.abort(err);
      reject(err);
    }, ms);
    outer?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const pending = call(own.signal);
    pending.catch(() => undefined);
    return await Promise.race([pending, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) outer?.removeEventListener('abort', onAbort);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CallCancelled(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// Runs `call` under the deadlines. Throws CallCancelled when `signal` fires, NoAnswerError when time ran out,
// and otherwise the SDK's own last error (a non-retryable one at once).
export async function boundedCall<T>(
  d: CloudDeadlines,
  signal: AbortSignal | undefined,
  retryable: (err: unknown) => boolean,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const started = Date.now();
  const giveUpAt = started + d.totalMs;
  for (let n = 1; ; n++) {
    if (signal?.aborted === true) throw new CallCancelled(signal.reason);
    const ms = Math.max(1, Math.min(d.attemptMs, giveUpAt - Date.now()));
    try {
      return await attempt(call, ms, signal);
    } catch (err) {
      if (err instanceof CallCancelled) throw err;
      const wait = d.backoffMs * 2 ** (n - 1);
      const again =
        n < d.attempts && Date.now() + wait < giveUpAt && (err instanceof NoAnswerError || retryable(err));
      if (!again) {
        if (!(err instanceof NoAnswerError)) throw err;
        throw new NoAnswerError(
          `no answer after ${n} attempt${n === 1 ? '' : 's'} in ${duration(Date.now() - started)} (at most ${duration(d.attemptMs)} per attempt, ${d.attempts} attempts, ${duration(d.totalMs)} in all)`,
        );
      }
      await pause(wait, signal);
    }
  }
}

// The TaskError for a call that was cancelled or got no answer in time; undefined for any other failure.
// A cancellation whose reason is already a TaskError (SIGTERM, a sibling's failure) passes that on.
export function deadlineFailure(where: string, action: string, err: unknown): TaskError | undefined {
  if (err instanceof CallCancelled) {
    return err.reason instanceof TaskError
      ? err.reason
      : new TaskError('cancelled', `${where}: ${action} was cancelled`);
  }
  if (err instanceof NoAnswerError) {
    return new TaskError('keys', `${where}: cannot ${action}: no answer in time (${err.message})`);
  }
  return undefined;
}
