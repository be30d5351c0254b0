// Passes archive bytes on to the Vault upload while verifying them, but holds back the last chunk until
// the whole archive verified and restic dump exited 0. A corrupt, truncated or half-dumped backup thus
// never reaches Vault complete: the upload is aborted before its last byte and Vault applies nothing.
import { Transform, type TransformCallback } from 'node:stream';
import { ArchiveVerifier, type ArchiveFacts } from '../vault/archive-check.ts';

export class HoldBackVerified extends Transform {
  private readonly verifier = new ArchiveVerifier();
  private readonly producerDone: Promise<unknown>;
  private readonly onBytes: (total: number) => void;
  private held: Buffer | undefined;
  facts: ArchiveFacts | undefined;
  bytes = 0;

  constructor(producerDone: Promise<unknown>, onBytes: (total: number) => void = () => undefined) {
    super({ highWaterMark: 1 << 20 });
    this.producerDone = producerDone;
    // Awaited in _flush; an upload that fails earlier never gets there.
    producerDone.catch(() => undefined);
    this.onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.verifier.write(chunk);
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.bytes += chunk.length;
    this.onBytes(this.bytes);
    if (this.held !== undefined) this.push(this.held);
    this.held = chunk;
    cb();
  }

  override _flush(cb: TransformCallback): void {
    let facts: ArchiveFacts;
    try {
      facts = this.verifier.finish();
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.producerDone.then(
      () => {
        this.facts = facts;
        if (this.held !== undefined) this.push(this.held);
        cb();
      },
      (err: unknown) => cb(err as Error),
    );
  }
}
