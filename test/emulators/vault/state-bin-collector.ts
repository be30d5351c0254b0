// Incremental state.bin decoder for restore uploads: keeps small records always and big ones only while a
// memory budget lasts, so a multi-GiB upload is hashed and accepted without being held in memory.
import { decodeStorageEntry, decodeUvarint } from './state-bin.ts';
import type { StorageEntry } from './types.ts';

const ALWAYS_KEEP_BYTES = 64 * 1024;

export class StateBinCollector {
  readonly entries: StorageEntry[] = [];
  dropped = 0;
  invalid: string | undefined;
  private readonly budget: number;
  private kept = 0;
  private lenBuf: Buffer = Buffer.alloc(0);
  private need = -1; // bytes left in the current record body; -1 while reading the length
  private keep = false;
  private parts: Buffer[] = [];

  constructor(budgetBytes: number) {
    this.budget = budgetBytes;
  }

  // Feeds the next piece of state.bin.
  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.invalid === undefined) {
      if (this.need < 0) {
        this.lenBuf = Buffer.concat([this.lenBuf, chunk.subarray(pos, pos + 1)]);
        pos += 1;
        this.readLength();
        continue;
      }
      const take = Math.min(this.need, chunk.length - pos);
      if (this.keep) this.parts.push(chunk.subarray(pos, pos + take));
      this.need -= take;
      pos += take;
      if (this.need === 0) this.finishRecord();
    }
  }

  // Called at the end of the member: a partial record means a corrupt state.bin.
  finish(): void {
    if (this.invalid === undefined && (this.need >= 0 || this.lenBuf.length > 0)) {
      this.invalid = 'state.bin: truncated record';
    }
  }

  private readLength(): void {
    let len: { value: number; next: number } | undefined;
    try {
      len = decodeUvarint(this.lenBuf, 0);
    } catch (err) {
      this.invalid = (err as Error).message;
      return;
    }
    if (len === undefined) return;
    this.lenBuf = Buffer.alloc(0);
    this.need = len.value;
    this.keep = len.value <= ALWAYS_KEEP_BYTES || this.kept + len.value <= this.budget;
    if (!this.keep) this.dropped += 1;
    this.parts = [];
    if (this.need === 0) this.finishRecord();
  }

  private finishRecord(): void {
    if (this.keep) {
      const msg = Buffer.concat(this.parts);
      this.kept += msg.length;
      try {
        this.entries.push(decodeStorageEntry(msg));
      } catch (err) {
        this.invalid = (err as Error).message;
      }
    }
    this.parts = [];
    this.need = -1;
  }
}
