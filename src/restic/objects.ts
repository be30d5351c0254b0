// Storing and removing the keyed objects of one run.
import { Readable } from 'node:stream';
import type { StoredObjectStats } from '../output/output.ts';
import { forgetIdsArgs, snapshotsArgs, stdinBackupArgs } from './args.ts';
import { parseSnapshots, type SnapshotInfo } from './json.ts';
import type { ResticSession } from './session.ts';
import { streamIntoRestic, type StreamHooks } from './stream-backup.ts';
import { TaskError } from '../errors.ts';

export interface ObjectSpec {
  filename: string;
  host: string;
  tags: string[];
}

export async function storeObject(
  session: ResticSession,
  spec: ObjectSpec,
  source: Readable,
  hooks: StreamHooks = {},
): Promise<StoredObjectStats & { streamedBytes: number }> {
  const child = session.spawnWithStdin(
    stdinBackupArgs({ ...spec, cacheEnabled: session.cacheEnabled }, session.common),
  );
  let result: Awaited<ReturnType<typeof streamIntoRestic>>;
  try {
    result = await streamIntoRestic(child, source, hooks);
  } catch (err) {
    await session.clearDeadLocks();
    throw err;
  }
  const { summary, bytes } = result;
  if (summary.totalBytesProcessed !== bytes) {
    throw new TaskError(
      'restic',
      `restic stored ${summary.totalBytesProcessed} bytes of ${spec.filename} but ${bytes} were sent`,
    );
  }
  return { ...summary, path: spec.filename, streamedBytes: bytes };
}

// A small value (a key) as one object; the bytes go through stdin only.
export function storeValue(session: ResticSession, spec: ObjectSpec, value: Buffer, signal?: AbortSignal) {
  return storeObject(session, spec, Readable.from([value]), signal ? { signal } : {});
}

export async function listSnapshots(
  session: ResticSession,
  tags: string[],
  signal?: AbortSignal,
): Promise<SnapshotInfo[]> {
  return parseSnapshots(await session.run(snapshotsArgs({ tags }, session.common), signal));
}

// Removes every object carrying the run tag; a no-op when none was committed.
export async function forgetRun(session: ResticSession, runTag: string): Promise<string[]> {
  const ids = (await listSnapshots(session, [runTag])).map((s) => s.id);
  if (ids.length > 0) await session.run(forgetIdsArgs(ids, session.common));
  return ids;
}
