// Response-body writing shaped like Vault's Go server for the snapshot GET: HTTP/1.1 chunked (no
// Content-Length), one chunk per 32 KiB write, write-side backpressure and no per-byte work.
import type { ServerResponse } from 'node:http';

// Size of each body write (and so of each HTTP chunk) on the snapshot GET.
export const GO_WRITE_BYTES = 32 * 1024;

// Zero-copy 32 KiB views of an in-memory body.
export function* goPieces(body: Buffer): Generator<Buffer> {
  for (let off = 0; off < body.length; off += GO_WRITE_BYTES)
    yield body.subarray(off, Math.min(off + GO_WRITE_BYTES, body.length));
}

// Writes one chunk. Resolves once the response can take more (or `flushed`: once the chunk reached the
// kernel), or when the response closed; `onFlushed` runs only if the chunk really was handed to the socket.
export function writeChunk(
  res: ServerResponse,
  chunk: Buffer,
  flushed = false,
  onFlushed?: (bytes: number) => void,
): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    const done = (): void => {
      res.off('close', done);
      res.off('drain', done);
      resolve();
    };
    res.once('close', done);
    const ok = res.write(chunk, (err?: Error | null) => {
      if (err === undefined || err === null) onFlushed?.(chunk.length);
      if (flushed) done();
    });
    if (flushed) return;
    if (ok) done();
    else res.once('drain', done);
  });
}

// Ends the response; resolves true once the last chunk is out, false when the response closed first.
export function endResponse(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    res.once('close', () => resolve(res.writableFinished));
    res.end(() => resolve(true));
  });
}
