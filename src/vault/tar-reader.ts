// A streaming USTAR reader just big enough for Raft snapshot archives: it reports each member's bytes as
// they arrive, so a multi-GiB state.bin is hashed without ever being held in memory.
import { SourceError } from '../errors.ts';
import { cString, tarSize } from '../stream/tar-fields.ts';

export interface TarMemberSink {
  begin(name: string, size: number): void;
  data(chunk: Buffer): void;
  end(): void;
}

const BLOCK = 512;

export class TarReader {
  private header = Buffer.alloc(0);
  private remaining = 0; // content bytes left in the current member
  private padding = 0; // zero padding after the current member
  private zeroBlocks = 0;
  private skipping = false; // inside a pax/GNU metadata member we ignore
  private readonly sink: TarMemberSink;
  ended = false;

  constructor(sink: TarMemberSink) {
    this.sink = sink;
  }

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - off);
        if (!this.skipping) this.sink.data(chunk.subarray(off, off + n));
        this.remaining -= n;
        off += n;
        if (this.remaining === 0 && !this.skipping) this.sink.end();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - off);
        this.padding -= n;
        off += n;
        continue;
      }
      if (this.ended) {
        off = chunk.length; // bytes after the end-of-archive marker are ignored, as Go's reader does
        continue;
      }
      const need = BLOCK - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(off, off + need)]);
      off += Math.min(need, chunk.length - off);
      if (this.header.length === BLOCK) {
        this.onHeader(this.header);
        this.header = Buffer.alloc(0);
      }
    }
  }

  // True when the stream stopped at a member boundary after the two zero blocks.
  get complete(): boolean {
    return this.ended && this.remaining === 0 && this.header.length === 0;
  }

  private onHeader(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.zeroBlocks += 1;
      if (this.zeroBlocks === 2) this.ended = true;
      return;
    }
    if (this.zeroBlocks > 0) throw new SourceError('snapshot archive is corrupt: data after a tar end block');
    if (!checksumOk(h)) throw new SourceError('snapshot archive is corrupt: bad tar header checksum');
    const size = parseSize(h.subarray(124, 136));
    const type = String.fromCharCode(h[156] ?? 0x30);
    const prefix = cString(h.subarray(345, 500));
    const name = (prefix !== '' ? `${prefix}/` : '') + cString(h.subarray(0, 100));
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.skipping = type === 'x' || type === 'g' || type === 'L' || type === 'K';
    if (!this.skipping) {
      if (type !== '0' && type !== '\0')
        throw new SourceError(`unexpected tar entry type in snapshot for "${name}"`);
      this.sink.begin(name, size);
      if (size === 0) this.sink.end();
    }
  }
}

function parseSize(field: Buffer): number {
  const size = tarSize(field);
  if (size === undefined) throw new SourceError('snapshot archive is corrupt: bad tar size field');
  return size;
}

function checksumOk(h: Buffer): boolean {
  const stored = parseInt(cString(h.subarray(148, 156)).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  return sum === stored;
}
