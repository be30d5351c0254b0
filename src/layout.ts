// How one backup is laid out in restic: the keys (one snapshot of files, or one stdin object per key) and
// the Raft snapshot as a stdin object, all sharing a run tag; the Raft object is committed last, so its
// presence means the set is complete.
export const RAFT_FILENAME = 'vault-raft.snap';
export const RUN_TAG_PREFIX = 'stash-vault-run=';
export const OBJECT_TAG_PREFIX = 'stash-vault-object=';
export const RAFT_OBJECT_TAG = `${OBJECT_TAG_PREFIX}raft-snapshot`;
// One stdin object per key (the first layout, and the fallback without a tmpfs).
export const KEY_OBJECT_TAG = `${OBJECT_TAG_PREFIX}unsealer-key`;
// All keys of a run as files of one snapshot.
export const KEYS_OBJECT_TAG = `${OBJECT_TAG_PREFIX}unsealer-keys`;
export const DEFAULT_HOSTNAME = 'host-0';

export function runTag(runId: string): string {
  return `${RUN_TAG_PREFIX}${runId}`;
}

export function runIdOf(tags: readonly string[]): string | undefined {
  return tags.find((t) => t.startsWith(RUN_TAG_PREFIX))?.slice(RUN_TAG_PREFIX.length);
}
