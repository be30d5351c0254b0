// The Cloud KMS SDK (google-gax, REST transport) takes no AbortSignal per call and its promise loses
// cancel(); its transport does fetch through the client's GoogleAuth, though. So the signal of the call in
// progress is kept in an AsyncLocalStorage and merged into every fetch that call makes.
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<AbortSignal>();

type Fetch = (input: unknown, init?: Record<string, unknown>) => Promise<unknown>;

// Makes the auth object's fetch honour the signal of withSignal; call once per client.
export function abortableFetch(auth: object): void {
  const target = auth as { fetch: Fetch };
  const original = target.fetch.bind(auth);
  target.fetch = (input, init) => {
    const signal = current.getStore();
    if (signal === undefined) return original(input, init);
    const own = init?.['signal'];
    const merged = own instanceof AbortSignal ? AbortSignal.any([own, signal]) : signal;
    return original(input, { ...init, signal: merged });
  };
}

// Runs `fn` so that the fetches it starts are aborted with `signal`.
export const withSignal = <T>(signal: AbortSignal, fn: () => T): T => current.run(signal, fn);
