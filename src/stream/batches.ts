// Network and pipe reads arrive as 16-64 KiB pieces, and per-piece costs (a pipe write, a drain wait,
// a verifier step, a promise) add up over a GiB; pieces are joined into batches of this size first.
export const BATCH_SIZE = 1 << 20;

export async function* coalesce(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const piece of source) {
    parts.push(piece);
    length += piece.length;
    if (length < size) continue;
    yield parts.length === 1 ? piece : Buffer.concat(parts, length);
    parts = [];
    length = 0;
  }
  if (length > 0) yield Buffer.concat(parts, length);
}
