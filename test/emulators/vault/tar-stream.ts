// Push-style tar reader with Go archive/tar's end-of-input semantics, so truncation errors name the
// member being read exactly as raft-snapshot's read() reports them (vault-snapshot-api.md §2).
import { BLOCK, parseTarHeader } from './tar.ts';

export interface TarVisitor {
  start(name: string, size: number): void;
  data(chunk: Buffer): void;
  end(): void;
}

type Stage = 'header' | 'data' | 'skip' | 'padding' | 'zero2' | 'done';

// Member types Go's reader consumes itself instead of returning them (PAX and GNU long names).
const META_TYPES = new Set(['x', 'g', 'L', 'K']);

export class TarStream {
  stage: Stage = 'header';
  member = '';
  private readonly visitor: TarVisitor;
  private block: Buffer[] = [];
  private blockLen = 0;
  private left = 0;
  private pad = 0;

  constructor(visitor: TarVisitor) {
    this.visitor = visitor;
  }

  get ended(): boolean {
    return this.stage === 'done';
  }

  // True when input stopped exactly between members, which Go treats as a clean end of archive.
  get atBoundary(): boolean {
    return (this.stage === 'header' || this.stage === 'zero2') && this.blockLen === 0;
  }

  // Feeds decompressed bytes; throws with the Go message (without the "failed to read snapshot file" prefix).
  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.stage !== 'done') {
      if (this.stage === 'header' || this.stage === 'zero2') {
        const take = Math.min(BLOCK - this.blockLen, chunk.length - pos);
        this.block.push(chunk.subarray(pos, pos + take));
        this.blockLen += take;
        pos += take;
        if (this.blockLen === BLOCK) this.onBlock(Buffer.concat(this.block));
      } else if (this.stage === 'data' || this.stage === 'skip') {
        const take = Math.min(this.left, chunk.length - pos);
        if (this.stage === 'data') this.visitor.data(chunk.subarray(pos, pos + take));
        this.left -= take;
        pos += take;
        if (this.left === 0) this.finishMember();
      } else {
        const take = Math.min(this.pad, chunk.length - pos);
        this.pad -= take;
        pos += take;
        if (this.pad === 0) this.stage = 'header';
      }
    }
  }

  private onBlock(block: Buffer): void {
    this.block = [];
    this.blockLen = 0;
    const zero = block.every((b) => b === 0);
    if (this.stage === 'zero2') {
      if (!zero) throw new Error('failed reading snapshot: archive/tar: invalid tar header');
      this.stage = 'done';
      return;
    }
    if (zero) {
      this.stage = 'zero2';
      return;
    }
    let hdr;
    try {
      hdr = parseTarHeader(block);
    } catch (err) {
      throw new Error(`failed reading snapshot: ${(err as Error).message}`, { cause: err });
    }
    this.member = hdr.name;
    this.left = hdr.size;
    this.pad = (BLOCK - (hdr.size % BLOCK)) % BLOCK;
    if (META_TYPES.has(hdr.typeflag)) {
      this.stage = 'skip';
    } else {
      this.stage = 'data';
      this.visitor.start(hdr.name, hdr.size);
    }
    if (this.left === 0) this.finishMember();
  }

  private finishMember(): void {
    if (this.stage === 'data') this.visitor.end();
    this.stage = this.pad > 0 ? 'padding' : 'header';
  }
}
