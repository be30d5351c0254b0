// A few fixed buffers reused for every batch of a stream: network pieces are copied into them, each batch
// goes to restic and to the verifier, and returns to the pool once both are done with it. Nothing is
// allocated per MiB, so memory stays flat however large the snapshot, and an empty pool is the stream's
// backpressure (restic and the verifier together hold at most count × size bytes).
export class BatchPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: Array<(b: Buffer) => void> = [];

  constructor(count: number, size: number) {
    for (let i = 0; i < count; i++) this.free.push(Buffer.allocUnsafeSlow(size));
  }

  // A free buffer now, or once one is given back.
  take(): Promise<Buffer> {
    const b = this.free.pop();
    if (b !== undefined) return Promise.resolve(b);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(b: Buffer): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(b);
    else this.free.push(b);
  }
}

// A batch used by several consumers: back to the pool after the last release.
export function shared(pool: BatchPool, buffer: Buffer, users: number): () => void {
  let left = users;
  return () => {
    left -= 1;
    if (left === 0) pool.give(buffer);
  };
}
