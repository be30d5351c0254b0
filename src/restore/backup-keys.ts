// Reads the old cluster's root token and unseal keys out of the chosen backup, into memory only:
// our layout keeps each key as its own object of the run; the Go addon kept JSON-quoted files.
import { mapLimited } from '../concurrent.ts';
import { TaskError } from '../errors.ts';
import { keyNames } from '../keys/names.ts';
import type { KeyValue } from '../keys/store.ts';
import { dumpArgs } from '../restic/args.ts';
import type { SnapshotInfo } from '../restic/json.ts';
import type { ResticSession } from '../restic/session.ts';
import { registerSecret } from '../secrets.ts';
import type { Chosen } from './select.ts';

const KEY_DUMP_CONCURRENCY = 3;

export interface LocatedKey {
  name: string;
  id: string;
  path: string;
}

// Where each of the old cluster's keys sits in the backup; fails, naming them, when any is missing.
export function locateBackupKeys(
  all: SnapshotInfo[],
  chosen: Chosen,
  oldPrefix: string,
  shares: number,
): LocatedKey[] {
  const located: LocatedKey[] = [];
  const missing: string[] = [];
  for (const name of keyNames(oldPrefix, shares)) {
    const at = locate(all, chosen, name);
    if (at === undefined) missing.push(name);
    else located.push({ name, ...at });
  }
  if (missing.length > 0) throw missingKeys(chosen, missing);
  return located;
}

// Dumps the located keys, a few restic processes at a time (each start costs a key derivation).
export async function readBackupKeys(
  restic: ResticSession,
  chosen: Chosen,
  located: LocatedKey[],
  signal?: AbortSignal,
): Promise<KeyValue[]> {
  const values = await mapLimited(located, KEY_DUMP_CONCURRENCY, async (k) => {
    const raw = Buffer.from(
      await restic.run(dumpArgs(k.id, k.path, restic.common), signal).catch(() => ''),
      'utf8',
    );
    const value = chosen.layout === 'go-addon' ? decodeJsonString(raw, k.name) : raw;
    if (value.length > 0) registerSecret(value);
    return value;
  });
  const missing = located.filter((_, i) => values[i]?.length === 0).map((k) => k.name);
  if (missing.length > 0) throw missingKeys(chosen, missing);
  return located.map((k, i) => ({ name: k.name, value: values[i] ?? Buffer.alloc(0) }));
}

function missingKeys(chosen: Chosen, missing: string[]): TaskError {
  return new TaskError(
    'keys',
    `the backup ${chosen.snapshot.shortId} has no ${missing.join(', ')} (check --old-key-prefix)`,
  );
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
