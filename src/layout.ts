// How one backup is laid out in restic: one stdin snapshot per object, all sharing a run tag; the Raft
// snapshot object is committed last, so its presence means the set is complete.
export const RAFT_FILENAME = 'vault-raft.snap';
export const RUN_TAG_PREFIX = 'stash-vault-run=';
export const OBJECT_TAG_PREFIX = 'stash-vault-object=';
export const RAFT_OBJECT_TAG = `${OBJECT_TAG_PREFIX}raft-snapshot`;
export const KEY_OBJECT_TAG = `${OBJECT_TAG_PREFIX}unsealer-key`;
export const DEFAULT_HOSTNAME = 'host-0';

export function runTag(runId: string): string {
  return `${RUN_TAG_PREFIX}${runId}`;
}

export function runIdOf(tags: readonly string[]): string | undefined {
  return tags.find((t) => t.startsWith(RUN_TAG_PREFIX))?.slice(RUN_TAG_PREFIX.length);
}
