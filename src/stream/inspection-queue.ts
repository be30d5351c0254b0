// Runs `inspect` on chunks one after another, off the write path; the first failure is kept and
// reported by the next within().
export class InspectionQueue {
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
