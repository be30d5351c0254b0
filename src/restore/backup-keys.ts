// The old cluster's root token and unseal keys as the chosen backup recorded them, read into memory only
// and as bytes. Every layout ever written is read: our key files (one snapshot, one dump of its tree), our
// first layout (one stdin object per key) and the Go addon's directory (JSON-quoted key files).
import { mapLimited } from '../concurrent.ts';
import { TaskError } from '../errors.ts';
import type { KeyValue } from '../keys/store.ts';
import { KEY_OBJECT_TAG, KEYS_OBJECT_TAG } from '../layout.ts';
import { dumpArgs, dumpTreeArgs, lsArgs } from '../restic/args.ts';
import type { SnapshotInfo } from '../restic/json.ts';
import type { ResticSession } from '../restic/session.ts';
import { registerSecret } from '../secrets.ts';
import { readTarFiles } from './tar-files.ts';
import type { Chosen } from './select.ts';

const KEY_DUMP_CONCURRENCY = 3;

// One key as recorded: where restic keeps it and how to get its bytes back by hand.
export interface RecordedKey {
  name: string;
  snapshotId: string;
  path: string;
}

export type KeySource =
  | { kind: 'key-files'; snapshotId: string }
  | { kind: 'key-objects' }
  | { kind: 'go-addon'; snapshotId: string };

export interface LocatedKeys {
  oldPrefix: string;
  // Root token first, then unseal-key-0..n-1: exactly what the backup recorded.
  keys: RecordedKey[];
  unsealKeys: number;
  source: KeySource;
}

// Finds the keys of the chosen backup and checks the set is whole (a root token and unseal keys 0..n-1).
export async function locateBackupKeys(
  restic: ResticSession,
  all: SnapshotInfo[],
  chosen: Chosen,
  oldPrefixFlag: string,
  signal?: AbortSignal,
): Promise<LocatedKeys> {
  const { source, recorded } = await recordedKeys(restic, all, chosen, signal);
  const oldPrefix =
    oldPrefixFlag !== ''
      ? oldPrefixFlag
      : inferPrefix(
          chosen,
          recorded.map((k) => k.name),
        );
  const root = oldPrefix === '' ? 'root-token' : `${oldPrefix}-root-token`;
  const unsealHead = oldPrefix === '' ? 'unseal-key-' : `${oldPrefix}-unseal-key-`;
  const byName = new Map(recorded.map((k) => [k.name, k]));
  const indexes = recorded
    .map((k) => (k.name.startsWith(unsealHead) ? k.name.slice(unsealHead.length) : ''))
    .filter((i) => /^(0|[1-9]\d{0,2})$/.test(i))
    .map(Number);
  const count = indexes.length === 0 ? 0 : Math.max(...indexes) + 1;
  const wanted = [root, ...Array.from({ length: Math.max(count, 1) }, (_, i) => `${unsealHead}${i}`)];
  const missing = wanted.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw new TaskError(
      'keys',
      `the backup ${chosen.snapshot.shortId} has no ${missing.join(', ')} (it holds: ${recorded.map((k) => k.name).join(', ') || 'no keys'}; check --old-key-prefix)`,
    );
  }
  return { oldPrefix, keys: wanted.map((n) => byName.get(n) as RecordedKey), unsealKeys: count, source };
}

async function recordedKeys(
  restic: ResticSession,
  all: SnapshotInfo[],
  chosen: Chosen,
  signal?: AbortSignal,
): Promise<{ source: KeySource; recorded: RecordedKey[] }> {
  if (chosen.layout === 'go-addon') {
    const dir = chosen.dir.replace(/\/$/, '');
    const out = await restic.run(lsArgs(chosen.snapshot.id, dir, restic.common), signal);
    const recorded = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type?: string; path?: string; name?: string })
      .filter((n) => n.type === 'file' && n.path === `${dir}/${n.name ?? ''}` && n.name !== 'backup.snap')
      .map((n) => ({ name: n.name ?? '', snapshotId: chosen.snapshot.id, path: n.path ?? '' }));
    return { source: { kind: 'go-addon', snapshotId: chosen.snapshot.id }, recorded };
  }
  const run = all.filter((s) => s.tags.includes(chosen.runTag));
  const files = run.find((s) => s.tags.includes(KEYS_OBJECT_TAG));
  if (files !== undefined) {
    // The snapshot's paths are the files' absolute paths at backup time; its tree holds them at the root.
    const recorded = files.paths.map((p) => {
      const name = p.slice(p.lastIndexOf('/') + 1);
      return { name, snapshotId: files.id, path: `/${name}` };
    });
    return { source: { kind: 'key-files', snapshotId: files.id }, recorded };
  }
  const recorded = run
    .filter((s) => s.tags.includes(KEY_OBJECT_TAG) && s.paths.length === 1)
    .map((s) => {
      const path = s.paths[0] ?? '';
      return { name: path.replace(/^\//, ''), snapshotId: s.id, path };
    });
  return { source: { kind: 'key-objects' }, recorded };
}

// The prefix used at backup time, from the one root token the backup holds.
function inferPrefix(chosen: Chosen, names: string[]): string {
  const prefixes = [
    ...new Set(
      names
        .map((n) => /^(?:(.*)-)?root-token$/.exec(n))
        .filter((m) => m !== null)
        .map((m) => m[1] ?? ''),
    ),
  ];
  if (prefixes.length === 1) return prefixes[0] ?? '';
  throw new TaskError(
    'keys',
    prefixes.length === 0
      ? `the backup ${chosen.snapshot.shortId} holds no root token (it holds: ${names.join(', ') || 'no keys'})`
      : `the backup ${chosen.snapshot.shortId} holds keys of several prefixes (${prefixes.join(', ')}): set --old-key-prefix`,
  );
}

// The bytes of every located key. A failing dump fails with restic's own error.
export async function readBackupKeys(
  restic: ResticSession,
  located: LocatedKeys,
  signal?: AbortSignal,
): Promise<KeyValue[]> {
  let values: Buffer[];
  const src = located.source;
  if (src.kind === 'key-files') {
    const files = readTarFiles(await restic.runBytes(dumpTreeArgs(src.snapshotId, restic.common), signal));
    values = located.keys.map((k) => files.get(k.name) ?? Buffer.alloc(0));
  } else {
    values = await mapLimited(located.keys, KEY_DUMP_CONCURRENCY, async (k) => {
      const raw = await restic.runBytes(dumpArgs(k.snapshotId, k.path, restic.common), signal);
      return src.kind === 'go-addon' ? decodeJsonString(raw, k.name) : raw;
    });
  }
  const empty = located.keys.filter((_, i) => (values[i]?.length ?? 0) === 0).map((k) => k.name);
  if (empty.length > 0) {
    throw new TaskError('keys', `the backup's ${empty.join(', ')} ${empty.length > 1 ? 'are' : 'is'} empty`);
  }
  values.forEach((v) => registerSecret(v));
  return located.keys.map((k, i) => ({ name: k.name, value: values[i] ?? Buffer.alloc(0) }));
}

// The Go addon wrote each key with json.Marshal of a Go string.
function decodeJsonString(raw: Buffer, name: string): Buffer {
  try {
    const v: unknown = JSON.parse(raw.toString('utf8'));
    if (typeof v === 'string') return Buffer.from(v, 'utf8');
  } catch {
    // fall through
  }
  throw new TaskError('keys', `key file ${name} in the backup is not a JSON string`);
}
