// GET /v1/sys/storage/raft/snapshot on the active node: 200, application/gzip, Content-Disposition:
// attachment, shaped like Vault's Go server (go-stream.ts: chunked, no Content-Length, 32 KiB writes). The
// body is the archive built from storage at request time, or with serveArchiveFile a file streamed from disk
// untouched (no hashing, nothing recorded). Fault knobs: truncate / reset after N bytes, a pause before every
// 64 KiB, omitted or corrupt sums, a 500 before the first byte, a huge error body.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { authorize } from './acl.ts';
import { serveOnActive } from './active-guard.ts';
import { buildSnapshotArchive } from './archive-build.ts';
import type { ClusterState } from './cluster-state.ts';
import { GO_WRITE_BYTES, endResponse, goPieces, writeChunk } from './go-stream.ts';
import { multiError, sendErrors } from './http-util.ts';
import { maybeSendHugeError } from './huge-error.ts';
import { resetSocket } from './socket-reset.ts';

// chunkDelayMs pauses before every this many body bytes (its pace from before the writes became 32 KiB).
const DELAY_EVERY = 64 * 1024;

// Streams `source` under the download faults; resolves true when the whole body went out cleanly.
async function streamBody(
  state: ClusterState,
  res: ServerResponse,
  source: Iterable<Buffer> | AsyncIterable<Buffer>,
): Promise<boolean> {
  const f = state.faults;
  const reset = f.resetAfterBytes;
  const limit = Math.min(reset ?? Infinity, f.truncateAfterBytes ?? Infinity);
  const delay = f.chunkDelayMs ?? 0;
  let sent = 0;
  let cut = false;
  for await (const piece of source) {
    if (res.destroyed) return false;
    if (piece.length === 0) continue;
    if (sent >= limit) {
      cut = true;
      break;
    }
    if (delay > 0 && sent > 0 && sent % DELAY_EVERY === 0)
      await sleep(delay, undefined, { signal: state.closing.signal }).catch(() => undefined);
    const room = limit - sent;
    const chunk = piece.length > room ? piece.subarray(0, room) : piece;
    sent += chunk.length;
    await writeChunk(res, chunk, reset !== undefined && sent >= reset);
    if (piece.length > room) {
      cut = true;
      break;
    }
  }
  if (res.destroyed) return false;
  if (cut && reset !== undefined && sent >= reset) {
    resetSocket(res.socket);
    return false;
  }
  return (await endResponse(res)) && !cut;
}

export async function handleSnapshotSave(
  state: ClusterState,
  i: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (maybeSendHugeError(state, req, res)) return;
  if (!serveOnActive(state, i, req, res, true)) return;
  if (authorize(state, req, res, 'sys/storage/raft/snapshot', 'read') === undefined) return;
  res.setHeader('Content-Disposition', 'attachment');
  if (state.faults.snapshotError500 === true) {
    return sendErrors(res, 500, [multiError(['raft error when taking snapshot: emulated snapshot failure'])]);
  }
  res.setHeader('Content-Type', 'application/gzip');
  const file = state.faults.serveArchiveFile;
  if (file !== undefined) {
    const stream = createReadStream(file, { highWaterMark: GO_WRITE_BYTES });
    res.writeHead(200);
    await streamBody(state, res, stream).catch(() => res.destroy());
    stream.destroy();
    return;
  }
  const archive = buildSnapshotArchive({
    ...state.archiveInput(),
    omitSealed: state.faults.omitSealedSums === true,
    corruptSums: state.faults.corruptSums === true,
  });
  const faultFree = state.faults.omitSealedSums !== true && state.faults.corruptSums !== true;
  res.writeHead(200);
  if ((await streamBody(state, res, goPieces(archive))) && faultFree) state.lastArchive = archive;
}
