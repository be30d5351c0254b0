// GET /v1/sys/storage/raft/snapshot on the active node: 200, application/gzip, Content-Disposition:
// attachment, chunked (no Content-Length), archive built from storage at request time; plus fault knobs.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { authorize } from './acl.ts';
import { serveOnActive } from './active-guard.ts';
import { buildSnapshotArchive } from './archive-build.ts';
import type { ClusterState } from './cluster-state.ts';
import { multiError, sendErrors } from './http-util.ts';
import { resetSocket } from './socket-reset.ts';

const CHUNK = 64 * 1024;

function flushed(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    res.once('close', resolve);
    res.write(chunk, () => {
      res.off('close', resolve);
      resolve();
    });
  });
}

async function streamArchive(state: ClusterState, res: ServerResponse, archive: Buffer): Promise<void> {
  const f = state.faults;
  const reset =
    f.resetAfterBytes !== undefined && f.resetAfterBytes < archive.length ? f.resetAfterBytes : undefined;
  const truncate =
    f.truncateAfterBytes !== undefined && f.truncateAfterBytes < archive.length
      ? f.truncateAfterBytes
      : undefined;
  const limit = Math.min(reset ?? archive.length, truncate ?? archive.length);
  const delay = f.chunkDelayMs ?? 0;
  for (let off = 0; off < limit && !res.destroyed; off += CHUNK) {
    if (off > 0 && delay > 0)
      await sleep(delay, undefined, { signal: state.closing.signal }).catch(() => undefined);
    await flushed(res, archive.subarray(off, Math.min(off + CHUNK, limit)));
  }
  if (res.destroyed) return;
  if (reset !== undefined && reset <= limit) return resetSocket(res.socket);
  const clean =
    reset === undefined && truncate === undefined && f.omitSealedSums !== true && f.corruptSums !== true;
  res.end(() => {
    if (clean) state.lastArchive = archive;
  });
}

export async function handleSnapshotSave(
  state: ClusterState,
  i: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!serveOnActive(state, i, req, res, true)) return;
  if (authorize(state, req, res, 'sys/storage/raft/snapshot', 'read') === undefined) return;
  res.setHeader('Content-Disposition', 'attachment');
  if (state.faults.snapshotError500 === true) {
    return sendErrors(res, 500, [multiError(['raft error when taking snapshot: emulated snapshot failure'])]);
  }
  res.setHeader('Content-Type', 'application/gzip');
  const file = state.faults.serveArchiveFile;
  if (file !== undefined) {
    res.writeHead(200);
    await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), res).catch(() => undefined);
    return;
  }
  const archive = buildSnapshotArchive({
    ...state.archiveInput(),
    omitSealed: state.faults.omitSealedSums === true,
    corruptSums: state.faults.corruptSums === true,
  });
  res.writeHead(200);
  await streamArchive(state, res, archive);
}
