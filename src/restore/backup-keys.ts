// Reads the old cluster's root token and unseal keys out of the chosen backup, into memory only:
// our layout keeps each key as its own object of the run; the Go addon kept JSON-quoted files.
import { TaskError } from '../errors.ts';
import { keyNames } from '../keys/names.ts';
import type { KeyValue } from '../keys/store.ts';
import { dumpArgs } from '../restic/args.ts';
import type { SnapshotInfo } from '../restic/json.ts';
import type { ResticSession } from '../restic/session.ts';
import { registerSecret } from '../secrets.ts';
import type { Chosen } from './select.ts';

export async function readBackupKeys(
  restic: ResticSession,
  all: SnapshotInfo[],
  chosen: Chosen,
  oldPrefix: string,
  shares: number,
  signal?: AbortSignal,
): Promise<KeyValue[]> {
  const names = keyNames(oldPrefix, shares);
  const out: KeyValue[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const located = locate(all, chosen, name);
    if (located === undefined) {
      missing.push(name);
      continue;
    }
    const raw = Buffer.from(
      await restic.run(dumpArgs(located.id, located.path, restic.common), signal).catch(() => ''),
      'utf8',
    );
    const value = chosen.layout === 'go-addon' ? decodeJsonString(raw, name) : raw;
    if (value.length === 0) missing.push(name);
    else {
      registerSecret(value);
      out.push({ name, value });
    }
  }
  if (missing.length > 0) {
    throw new TaskError(
      'keys',
      `the backup ${chosen.snapshot.shortId} has no ${missing.join(', ')} (check --old-key-prefix)`,
    );
  }
  return out;
}

function locate(all: SnapshotInfo[], chosen: Chosen, name: string): { id: string; path: string } | undefined {
  if (chosen.layout === 'go-addon')
    return { id: chosen.snapshot.id, path: `${chosen.dir.replace(/\/$/, '')}/${name}` };
  const obj = all.find((s) => s.tags.includes(chosen.runTag) && s.paths.includes(`/${name}`));
  return obj === undefined ? undefined : { id: obj.id, path: `/${name}` };
}

// The prefix used at backup time, inferred from the run's key objects when --old-key-prefix is empty.
export function inferOldPrefix(all: SnapshotInfo[], chosen: Chosen): string | undefined {
  if (chosen.layout !== 'stash-vault') return undefined;
  const prefixes = new Set(
    all
      .filter((s) => s.tags.includes(chosen.runTag))
      .flatMap((s) => s.paths)
      .map((p) => /^\/(.*?)-?root-token$/.exec(p)?.[1])
      .filter((p): p is string => p !== undefined),
  );
  return prefixes.size === 1 ? [...prefixes][0] : undefined;
}

function decodeJsonString(raw: Buffer, name: string): Buffer {
  if (raw.length === 0) return raw;
  try {
    const v: unknown = JSON.parse(raw.toString('utf8'));
    if (typeof v === 'string') return Buffer.from(v, 'utf8');
  } catch {
    // fall through
  }
  throw new TaskError('keys', `key file ${name} in the backup is not a JSON string`);
}
