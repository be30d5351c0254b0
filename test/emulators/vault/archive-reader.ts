// Streaming reader for restore uploads: gzip -> tar -> members, fed chunk by chunk with backpressure, never
// buffering state.bin beyond the keep budget. Errors carry the wording Vault's restore handler returns.
import { createGunzip, type Gunzip } from 'node:zlib';
import { ArchiveMembers, readFailure, type ArchiveContents } from './archive-members.ts';
import { TarStream } from './tar-stream.ts';

const FILE_PREFIX = 'failed to read snapshot file: ';

// Go's wording for a zlib failure: truncation is io.ErrUnexpectedEOF, anything else a flate corruption.
export function flateCause(err: Error & { code?: string }, offset: number): string {
  return err.code === 'Z_BUF_ERROR' ? 'unexpected EOF' : `flate: corrupt input before offset ${offset}`;
}

export class SnapshotArchiveReader {
  failure: Error | undefined;
  private readonly members: ArchiveMembers;
  private readonly tar: TarStream;
  private readonly gunzip: Gunzip;
  private head: Buffer = Buffer.alloc(0);
  private received = 0;
  private gzipError: string | undefined;

  constructor(keepBudgetBytes: number) {
    this.members = new ArchiveMembers(keepBudgetBytes);
    this.tar = new TarStream(this.members);
    this.gunzip = createGunzip({ chunkSize: 256 * 1024 });
    this.gunzip.on('data', (d: Buffer) => this.onData(d));
    this.gunzip.on('error', (err: Error & { code?: string }) => {
      this.gzipError = flateCause(err, this.received);
      if (!this.tar.ended && this.failure === undefined && err.code !== 'Z_BUF_ERROR') {
        this.failure = readFailure(this.tar, this.gzipError);
      }
    });
  }

  // True once the tar end marker was read: like Go, nothing after it is looked at.
  get done(): boolean {
    return this.tar.ended;
  }

  // Feeds compressed bytes; resolves when zlib has taken them (never rejects; check `failure`).
  write(chunk: Buffer): Promise<void> {
    this.received += chunk.length;
    if (this.head.length < 10) this.head = Buffer.concat([this.head, chunk.subarray(0, 10)]);
    if (this.head.length >= 2 && (this.head[0] !== 0x1f || this.head[1] !== 0x8b)) {
      this.failure ??= new Error('failed to decompress snapshot: gzip: invalid header');
    }
    if (this.failure !== undefined || this.tar.ended || this.gunzip.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.gunzip.write(chunk, () => resolve()));
  }

  // Ends the input and returns the members, or rejects with the Vault error for this archive.
  async end(): Promise<ArchiveContents> {
    if (this.failure === undefined && this.received === 0)
      this.failure = new Error('failed to decompress snapshot: EOF');
    if (this.failure === undefined && this.head.length < 10) {
      this.failure = new Error('failed to decompress snapshot: unexpected EOF');
    }
    if (this.failure === undefined && !this.tar.ended) await this.drain();
    this.gunzip.destroy();
    if (this.failure !== undefined) throw this.failure;
    if (!this.tar.ended && (this.gzipError !== undefined || !this.tar.atBoundary)) {
      throw readFailure(this.tar, this.gzipError ?? 'unexpected EOF');
    }
    return this.members.contents();
  }

  // Releases zlib resources when the upload is abandoned.
  abort(): void {
    this.gunzip.destroy();
  }

  private drain(): Promise<void> {
    return new Promise((resolve) => {
      this.gunzip.once('end', resolve);
      this.gunzip.once('error', () => resolve());
      this.gunzip.end();
    });
  }

  private onData(d: Buffer): void {
    if (this.failure !== undefined || this.tar.ended) return;
    try {
      this.tar.push(d);
    } catch (err) {
      this.failure = new Error(FILE_PREFIX + (err as Error).message, { cause: err });
    }
  }
}
