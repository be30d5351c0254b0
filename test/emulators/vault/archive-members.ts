// Handles the four snapshot members the way raft-snapshot's read() does: name whitelist, 8192-byte limit on
// the small members, hashing of the raw bytes, and member-specific wording for truncation errors.
import { createHash, type Hash } from 'node:crypto';
import { StateBinCollector } from './state-bin-collector.ts';
import type { TarStream, TarVisitor } from './tar-stream.ts';

const SMALL_LIMIT = 8192;

// Everything an archive yielded; hashes are computed over the exact member bytes.
export interface ArchiveContents {
  metaRaw: Buffer;
  meta: Record<string, unknown> | undefined;
  sums: Buffer;
  sealed: Buffer | undefined;
  hashes: Record<string, string>;
  stateBytes: number;
  state: StateBinCollector;
}

// Go's error prefix for a failed read of the given member (raft-snapshot archive.go read()).
export function memberReadPrefix(name: string): string {
  if (name === 'meta.json') return 'failed to read snapshot metadata';
  if (name === 'state.bin') return 'failed to read or write snapshot data';
  return 'failed to read snapshot hashes';
}

// Error for input that stopped while the tar reader was in `tar`'s current stage (cause: "unexpected EOF", ...).
export function readFailure(tar: TarStream, cause: string): Error {
  const where = tar.stage === 'data' ? memberReadPrefix(tar.member) : 'failed reading snapshot';
  return new Error(`failed to read snapshot file: ${where}: ${cause}`);
}

export class ArchiveMembers implements TarVisitor {
  private readonly metaHash: Hash = createHash('sha256');
  private readonly stateHash: Hash = createHash('sha256');
  private readonly metaParts: Buffer[] = [];
  private readonly sumsParts: Buffer[] = [];
  private sealedParts: Buffer[] | undefined;
  private meta: Record<string, unknown> | undefined;
  private stateBytes = 0;
  private current = '';
  readonly state: StateBinCollector;

  constructor(keepBudgetBytes: number) {
    this.state = new StateBinCollector(keepBudgetBytes);
  }

  start(name: string, size: number): void {
    if (!['meta.json', 'state.bin', 'SHA256SUMS', 'SHA256SUMS.sealed'].includes(name)) {
      throw new Error(`unexpected file ${JSON.stringify(name)} in snapshot`);
    }
    if (name !== 'state.bin' && size >= SMALL_LIMIT) {
      throw new Error(
        `${memberReadPrefix(name)}: read max specified bytes (${SMALL_LIMIT}) without EOF - possible truncation`,
      );
    }
    if (name === 'SHA256SUMS.sealed') this.sealedParts ??= [];
    this.current = name;
  }

  data(chunk: Buffer): void {
    if (this.current === 'meta.json') {
      this.metaHash.update(chunk);
      this.metaParts.push(Buffer.from(chunk));
    } else if (this.current === 'state.bin') {
      this.stateHash.update(chunk);
      this.stateBytes += chunk.length;
      this.state.push(chunk);
    } else if (this.current === 'SHA256SUMS') {
      this.sumsParts.push(Buffer.from(chunk));
    } else {
      this.sealedParts?.push(Buffer.from(chunk));
    }
  }

  end(): void {
    if (this.current !== 'meta.json') return;
    const raw = Buffer.concat(this.metaParts);
    this.metaParts.length = 0;
    this.metaParts.push(raw);
    try {
      this.meta = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`failed to decode snapshot metadata: ${(err as Error).message}`);
    }
  }

  // Final contents once the tar stream is over.
  contents(): ArchiveContents {
    this.state.finish();
    return {
      metaRaw: Buffer.concat(this.metaParts),
      meta: this.meta,
      sums: Buffer.concat(this.sumsParts),
      sealed: this.sealedParts === undefined ? undefined : Buffer.concat(this.sealedParts),
      hashes: {
        'meta.json': this.metaHash.copy().digest('hex'),
        'state.bin': this.stateHash.copy().digest('hex'),
      },
      stateBytes: this.stateBytes,
      state: this.state,
    };
  }
}
