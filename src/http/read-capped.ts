// Reads at most `maxBytes` of a response body, then drops the rest (and the connection with it): an error
// body is for a message, and a server or proxy that sends hundreds of MiB must not cost that much memory.
import type { Readable } from 'node:stream';

export async function readCapped(body: Readable, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const take = Math.min(chunk.length, maxBytes - length);
      if (take > 0) parts.push(chunk.subarray(0, take));
      length += take;
      if (length >= maxBytes) break;
    }
  } catch {
    // A body cut short still says what it said so far.
  } finally {
    body.destroy();
  }
  return Buffer.concat(parts, length);
}
