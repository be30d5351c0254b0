// Runs independent preparation steps side by side. The first failure aborts the others (through the
// signal each receives) and is the one reported, but only after all have settled: nothing is left
// running behind the caller's cleanup.
export async function allOrAbort<A, B>(
  signal: AbortSignal,
  a: (signal: AbortSignal) => Promise<A>,
  b: (signal: AbortSignal) => Promise<B>,
): Promise<[A, B]> {
  const abort = new AbortController();
  const linked = AbortSignal.any([signal, abort.signal]);
  let first: { error: unknown } | undefined;
  const guard = <T>(p: Promise<T>): Promise<T> =>
    p.catch((error: unknown) => {
      first ??= { error };
      abort.abort(error);
      throw error;
    });
  const settled = await Promise.allSettled([guard(a(linked)), guard(b(linked))]);
  if (first !== undefined) throw first.error;
  const [ra, rb] = settled;
  if (ra.status !== 'fulfilled' || rb.status !== 'fulfilled') throw new Error('unreachable');
  return [ra.value, rb.value];
}

// Maps `items` with at most `limit` calls in flight; the first failure stops new calls and is thrown
// once the running ones have settled.
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length && failure === undefined; i = next++) {
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return out;
}
