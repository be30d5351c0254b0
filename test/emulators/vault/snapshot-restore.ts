// POST|PUT /v1/sys/storage/raft/snapshot[-force]: streams the upload through the archive reader (never
// buffering it), verifies like raft-snapshot, answers 204 / 400 (foreign seal, non-force) / 500 (multierror),
// then applies asynchronously. An upload aborted by the client applies nothing (restoreLog status 0).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorize } from './acl.ts';
import { serveOnActive } from './active-guard.ts';
import { SnapshotArchiveReader } from './archive-reader.ts';
import { SEALED_OPEN_FAILURE, verifyArchive } from './archive-verify.ts';
import type { ClusterState } from './cluster-state.ts';
import { multiError, sendErrors } from './http-util.ts';
import { scheduleApply } from './snapshot-apply.ts';
import type { RestoreLogEntry } from './types.ts';

const KEEP_BUDGET = 64 * 1024 * 1024;
const MAX_PENDING = 4 * 1024 * 1024;
const FOREIGN =
  'could not verify hash file, possibly the snapshot is using a different set of unseal keys; use the snapshot-force API to bypass this check';

function failWith(res: ServerResponse, err: Error): void {
  if (res.headersSent) return;
  res.setHeader('Connection', 'close');
  if (err.message.includes(SEALED_OPEN_FAILURE)) return sendErrors(res, 400, [FOREIGN]);
  sendErrors(res, 500, [multiError([err.message])]);
}

function receive(
  state: ClusterState,
  i: number,
  req: IncomingMessage,
  res: ServerResponse,
  force: boolean,
  entry: RestoreLogEntry,
): void {
  const reader = new SnapshotArchiveReader(KEEP_BUDGET);
  let settled = false;
  const settle = (): boolean => {
    const first = !settled;
    settled = true;
    clearTimeout(timer);
    reader.abort();
    return first;
  };
  const timeoutMs = state.faults.restoreReadTimeoutMs;
  const timer = setTimeout(
    () => {
      if (req.complete || !settle()) return;
      res.setHeader('Connection', 'close');
      sendErrors(res, 500, ['failed to read request body']);
      res.once('finish', () => setTimeout(() => req.socket.destroy(), 50).unref());
    },
    timeoutMs ?? 2 ** 31 - 1,
  );
  if (timeoutMs === undefined) clearTimeout(timer);
  // Chunks that arrive while the reader is busy are joined and fed as one write (per-chunk zlib round
  // trips would make the emulator, not the client, the bottleneck); the request pauses past MAX_PENDING.
  let parts: Buffer[] = [];
  let pending = 0;
  let writing = false;
  let ended = false;
  const finish = (): void => {
    void reader.end().then(
      (contents) => {
        if (!settle()) return;
        try {
          verifyArchive(contents, force ? undefined : (state.sealKey ?? Buffer.alloc(32)));
        } catch (err) {
          return failWith(res, err as Error);
        }
        res.writeHead(204, { 'Content-Type': 'application/json' });
        res.end();
        scheduleApply(state, i, contents);
      },
      (err: unknown) => {
        if (settle()) failWith(res, err as Error);
      },
    );
  };
  const pump = (): void => {
    if (writing || settled) return;
    if (pending === 0) {
      if (ended) finish();
      return;
    }
    const batch = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, pending);
    parts = [];
    pending = 0;
    writing = true;
    void reader.write(batch).then(() => {
      writing = false;
      if (reader.failure !== undefined && settle()) return failWith(res, reader.failure);
      if (req.isPaused()) req.resume();
      pump();
    });
  };
  req.on('data', (chunk: Buffer) => {
    entry.bytes += chunk.length;
    if (settled) return;
    parts.push(chunk);
    pending += chunk.length;
    if (pending >= MAX_PENDING) req.pause();
    pump();
  });
  req.on('end', () => {
    ended = true;
    pump();
  });
  req.on('close', () => {
    if (!req.complete) settle(); // client went away mid-upload: nothing is applied
  });
}

export function handleSnapshotRestore(
  state: ClusterState,
  i: number,
  req: IncomingMessage,
  res: ServerResponse,
  force: boolean,
): void {
  const entry: RestoreLogEntry = { force, status: 0, bytes: 0, node: i };
  state.restores.push(entry);
  res.once('finish', () => {
    entry.status = res.statusCode;
  });
  if (!serveOnActive(state, i, req, res, true)) return;
  const path = force ? 'sys/storage/raft/snapshot-force' : 'sys/storage/raft/snapshot';
  if (!req.complete) res.setHeader('Connection', 'close');
  if (authorize(state, req, res, path, 'update') === undefined) return;
  res.removeHeader('Connection');
  receive(state, i, req, res, force, entry);
}
