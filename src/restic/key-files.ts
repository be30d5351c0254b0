// The keys of one backup as one restic snapshot of files, one file per key named by the key, so each stays
// readable on its own (`restic dump <id> /<key name>`) for one restic start instead of one per key. The
// files live only on a memory-only filesystem (tmpfs), 0600 in a 0700 directory, and are removed as soon
// as restic is done with them; without a writable tmpfs the caller falls back to one stdin object per key.
import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskError } from '../errors.ts';
import type { KeyValue } from '../keys/store.ts';
import type { StoredObjectStats } from '../output/output.ts';
import { fileBackupArgs } from './args.ts';
import { parseBackupSummary } from './json.ts';
import type { ResticSession } from './session.ts';

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;
export const KEYS_PATH = 'unsealer-keys';

// A directory on tmpfs for this run's key files, or undefined when none is writable here.
export async function makeKeyDir(root: string): Promise<string | undefined> {
  try {
    const fs = await statfs(root);
    if (fs.type !== TMPFS_MAGIC && fs.type !== RAMFS_MAGIC) return undefined;
    return await mkdtemp(join(root, 'stash-vault-keys-'));
  } catch {
    return undefined;
  }
}

// Names that can be file names in one directory (no '/', no NUL, not '.' or '..', at most 255 bytes).
export function areFileNames(names: readonly string[]): boolean {
  return names.every(
    (n) => n !== '' && n !== '.' && n !== '..' && !/[/\0]/.test(n) && Buffer.byteLength(n) <= 255,
  );
}

export interface KeySnapshotSpec {
  host: string;
  tags: string[];
}

export async function storeKeyFiles(
  session: ResticSession,
  dir: string,
  keys: readonly KeyValue[],
  spec: KeySnapshotSpec,
  signal?: AbortSignal,
): Promise<StoredObjectStats> {
  try {
    for (const k of keys) await writeFile(join(dir, k.name), k.value, { mode: 0o600, flag: 'wx' });
    const args = fileBackupArgs(
      { ...spec, files: keys.map((k) => k.name), cacheEnabled: session.cacheEnabled },
      session.common,
    );
    const summary = parseBackupSummary(await session.run(args, signal, dir));
    const bytes = keys.reduce((n, k) => n + k.value.length, 0);
    if (summary.totalBytesProcessed !== bytes || summary.totalFilesProcessed !== keys.length) {
      throw new TaskError(
        'restic',
        `restic stored ${summary.totalFilesProcessed} key files (${summary.totalBytesProcessed} bytes) but ${keys.length} (${bytes} bytes) were written`,
      );
    }
    return { ...summary, path: KEYS_PATH };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
