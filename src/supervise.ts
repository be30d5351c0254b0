// Runs one command under SIGTERM/SIGINT (Node is PID 1 in the pod): the signal cancels the run, and after
// a grace period the outcome is reported even if a branch ignores the cancel.
import { CancelledError, describeError } from './errors.ts';
import type { Logger } from './log.ts';
import { scrubSecrets } from './secrets.ts';

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
let signalled = false;

// A signal stopped the run: the process must leave even if a cancelled socket still holds the loop.
export function wasSignalled(): boolean {
  return signalled;
}

// After SIGTERM the pod is going away (Kubernetes sends SIGKILL after the grace period, 30 s by default):
// the run gets this long to stop and clean up before output.json is written regardless.
const STOP_GRACE_MS = 4000;

export interface Supervised<T> {
  result?: T;
  // The failure as output.json / the status shows it: scrubbed, the cancel named once.
  error?: string;
  caught?: NodeJS.Signals;
}

// Runs a command under SIGTERM/SIGINT: the signal cancels the run, and after STOP_GRACE_MS the outcome is
// reported even if a branch ignores the cancel (a hung socket, a stuck child).
export async function supervise<T>(
  run: (signal: AbortSignal) => Promise<T>,
  log: Logger,
): Promise<Supervised<T>> {
  const root = new AbortController();
  let caught: NodeJS.Signals | undefined;
  let onGraceOver: (() => void) | undefined;
  const graceOver = new Promise<void>((resolve) => (onGraceOver = resolve));
  const onSignal = (sig: NodeJS.Signals): void => {
    if (caught !== undefined) return;
    caught = sig;
    signalled = true;
    log.warn({ signal: sig }, 'signal received: stopping');
    root.abort(new CancelledError(sig));
    setTimeout(() => onGraceOver?.(), STOP_GRACE_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const running = run(root.signal);
  running.catch(() => undefined);
  try {
    const outcome = await Promise.race([running, graceOver.then(() => GRACE_OVER)]);
    if (outcome === GRACE_OVER) throw new CancelledError(caught ?? 'SIGTERM');
    return { result: outcome as T, ...(caught !== undefined ? { caught } : {}) };
  } catch (err) {
    const error = scrubSecrets(failureText(err, caught));
    log.error({ error }, 'failed');
    return { error, ...(caught !== undefined ? { caught } : {}) };
  }
}

export function exitFor(s: Supervised<unknown>, failedExit: number): number {
  if (s.caught !== undefined) return SIGNAL_EXIT[s.caught] ?? 1;
  return s.error === undefined ? 0 : failedExit;
}

const GRACE_OVER: unique symbol = Symbol('grace over');

// One line for output.json: the cancel named once, then what it interrupted (if that says more).
function failureText(err: unknown, caught: NodeJS.Signals | undefined): string {
  const text = describeError(err);
  if (caught === undefined) return text;
  const head = `cancelled by ${caught}`;
  return text.includes(head) || err instanceof CancelledError ? head : `${head}: ${text}`;
}
