// The hugeErrorBytes fault: an error answer whose JSON body ({"errors":["…"]}, valid when read whole) is
// hugeErrorBytes long, generated piece by piece while streaming so even 400 MiB costs no memory. Body bytes
// that reach the kernel are counted in state.hugeErrorBytesSent.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterState } from './cluster-state.ts';
import { GO_WRITE_BYTES, endResponse, writeChunk } from './go-stream.ts';
import { echoedToken } from './token-echo.ts';

const FILLER = Buffer.alloc(GO_WRITE_BYTES, 'upstream error; ');

// The body as segments [head, filler × n, tail], cut to exactly `total` bytes.
function* segments(total: number, head: Buffer, tail: Buffer): Generator<Buffer> {
  let left = total;
  const take = (b: Buffer): Buffer => {
    const part = b.length <= left ? b : b.subarray(0, left);
    left -= part.length;
    return part;
  };
  if (left > 0) yield take(head);
  let fill = Math.max(0, left - tail.length);
  while (fill > 0) {
    const n = Math.min(fill, FILLER.length);
    fill -= n;
    yield take(FILLER.subarray(0, n));
  }
  if (left > 0) yield take(tail);
}

// True (and the answer is under way) when the hugeErrorBytes fault is set.
export function maybeSendHugeError(state: ClusterState, req: IncomingMessage, res: ServerResponse): boolean {
  const total = state.faults.hugeErrorBytes;
  if (total === undefined) return false;
  res.writeHead(state.faults.hugeErrorStatus ?? 503, { 'Content-Type': 'application/json' });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  const token = echoedToken(res);
  const head = Buffer.from(`{"errors":["${token === undefined ? '' : `request token: ${token}; `}`);
  const tail = Buffer.from('"]}\n');
  const count = (n: number): void => {
    state.hugeErrorBytesSent += n;
  };
  void (async () => {
    for (const piece of segments(Math.max(0, Math.floor(total)), head, tail)) {
      if (res.destroyed) return;
      await writeChunk(res, piece, false, count);
    }
    await endResponse(res);
  })();
  return true;
}
