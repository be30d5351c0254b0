// Chooses the backup to restore (stash-contract §5.3): a given id, or the latest of this addon's Raft
// objects for the source host; never "the newest snapshot of the whole repository". Reads both our
// layout and the Go addon's (one directory snapshot holding backup.snap and JSON-quoted key files).
import { TaskError } from '../errors.ts';
import { RAFT_FILENAME, RAFT_OBJECT_TAG, runIdOf, RUN_TAG_PREFIX } from '../layout.ts';
import type { SnapshotInfo } from '../restic/json.ts';

export type Chosen =
  | { layout: 'stash-vault'; snapshot: SnapshotInfo; runTag: string; raftPath: string }
  | { layout: 'go-addon'; snapshot: SnapshotInfo; dir: string; raftPath: string };

const isRaft = (s: SnapshotInfo): boolean =>
  s.tags.includes(RAFT_OBJECT_TAG) && s.paths.includes(`/${RAFT_FILENAME}`);
const isOurs = (s: SnapshotInfo): boolean => s.tags.some((t) => t.startsWith(RUN_TAG_PREFIX));
// A Go-addon backup: one path (the interim dir) and none of our tags.
const isGoAddon = (s: SnapshotInfo): boolean => !isOurs(s) && s.paths.length === 1;

// `host` is --source-hostname, else --hostname; `explicitSource` is --source-hostname alone.
export function chooseBackup(
  all: SnapshotInfo[],
  requested: string[],
  host: string,
  explicitSource = '',
): Chosen {
  if (requested.length > 1) {
    throw new TaskError(
      'config',
      `one Vault backup can be restored at a time, got ${requested.length} snapshot ids: ${requested.join(', ')}`,
    );
  }
  const wanted = requested[0] ?? 'latest';
  if (wanted !== 'latest') {
    const chosen = byId(all, wanted);
    if (explicitSource !== '' && chosen.snapshot.hostname !== explicitSource) {
      throw new TaskError(
        'config',
        `snapshot ${chosen.snapshot.shortId} is a backup of host "${chosen.snapshot.hostname}", not of --source-hostname "${explicitSource}"; drop one of the two or make them agree`,
      );
    }
    return chosen;
  }
  const candidates = all.filter((s) => (isRaft(s) || isGoAddon(s)) && (host === '' || s.hostname === host));
  const hosts = new Set(candidates.map((s) => s.hostname));
  if (host === '' && hosts.size > 1) {
    throw new TaskError(
      'config',
      `backups of several hosts (${[...hosts].join(', ')}) exist; set --source-hostname (or --hostname)`,
    );
  }
  // Prefer our layout; Go-addon backups are the fallback for repositories written by the old image.
  const ours = candidates.filter(isRaft);
  const pool = ours.length > 0 ? ours : candidates;
  const latest = [...pool].sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0];
  if (latest === undefined) throw nothingMatches(all, `no Vault backup for host "${host || '(any)'}"`);
  return toChosen(latest);
}

function byId(all: SnapshotInfo[], id: string): Chosen {
  const matches = all.filter((s) => s.id.startsWith(id) || s.shortId === id);
  if (matches.length > 1) throw new TaskError('config', `snapshot id "${id}" is ambiguous`);
  const s = matches[0];
  if (s === undefined) throw nothingMatches(all, `no snapshot with id "${id}"`);
  if (isRaft(s) || isGoAddon(s)) return toChosen(s);
  // An id of one of our key objects selects its run's Raft object.
  const run = runIdOf(s.tags);
  const raft = run === undefined ? undefined : all.find((x) => isRaft(x) && runIdOf(x.tags) === run);
  if (raft === undefined) throw nothingMatches(all, `snapshot "${id}" is not a Vault backup`);
  return toChosen(raft);
}

function toChosen(s: SnapshotInfo): Chosen {
  if (isRaft(s)) {
    return {
      layout: 'stash-vault',
      snapshot: s,
      runTag: `${RUN_TAG_PREFIX}${runIdOf(s.tags) ?? ''}`,
      raftPath: `/${RAFT_FILENAME}`,
    };
  }
  const dir = s.paths[0] ?? '';
  return { layout: 'go-addon', snapshot: s, dir, raftPath: `${dir.replace(/\/$/, '')}/backup.snap` };
}

function nothingMatches(all: SnapshotInfo[], why: string): TaskError {
  const shown = all
    .slice(-20)
    .map((s) => `${s.shortId} ${s.time.slice(0, 19)} host=${s.hostname} ${s.paths.join(',')}`)
    .join('; ');
  return new TaskError(
    'config',
    `${why}; the repository holds ${all.length} snapshot(s)${all.length > 0 ? `: ${shown}` : ''}`,
  );
}
