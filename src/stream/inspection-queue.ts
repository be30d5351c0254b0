// Runs `inspect` on batches one after another, off the write path (each on a later turn of the event
// loop, after its write to restic was issued), releasing each batch when its inspection is done; the
// first failure is kept, later batches are only released, and idle() reports it.
export class InspectionQueue {
  private readonly inspect: ((chunk: Buffer) => void) | undefined;
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(inspect: ((chunk: Buffer) => void) | undefined) {
    this.inspect = inspect;
  }

  add(chunk: Buffer, release: () => void): void {
    const inspect = this.inspect;
    this.tail = this.tail
      .then(() => {
        if (inspect !== undefined && this.failure === undefined) inspect(chunk);
      })
      .catch((err: unknown) => void (this.failure ??= err instanceof Error ? err : new Error(String(err))))
      .finally(release);
  }

  // A failure seen so far stops the stream at once, not after the whole snapshot downloaded.
  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  // Resolves once every batch added so far was inspected; rejects with the first failure.
  async idle(): Promise<void> {
    await this.tail;
    if (this.failure !== undefined) throw this.failure;
  }
}
