// What one backup run left in the repository, read back with real restic: the Raft object byte for byte
// against what Vault served, and every key readable on its own (`restic dump <id> /<key name>`) in either
// key layout: one snapshot of key files, or one stdin object per key.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { restic, snapshots, type SnapshotRow } from './restic.ts';
import type { World } from './world.ts';

const RAFT = '/vault-raft.snap';
export const KEYS_TAG = 'stash-vault-object=unsealer-keys';
export const KEY_TAG = 'stash-vault-object=unsealer-key';

export function expectedKeys(w: World): Map<string, Buffer> {
  const m = new Map<string, Buffer>([[`${w.keyPrefix}-root-token`, Buffer.from(w.vault.rootToken)]]);
  w.vault.unsealKeys.forEach((k, i) => m.set(`${w.keyPrefix}-unseal-key-${i}`, Buffer.from(k)));
  return m;
}

export interface StoredRun {
  raft: SnapshotRow;
  run: string;
  objects: SnapshotRow[];
  layout: 'key-files' | 'key-objects';
}

// Checks the newest run; returns its objects for further checks.
export function assertStoredBackup(
  w: World,
  keys: Map<string, Buffer> = expectedKeys(w),
  archive: Buffer | undefined = w.vault.lastServedArchive(),
): StoredRun {
  const list = snapshots(w.v, w.repository);
  const raft = list
    .filter((s) => s.paths.includes(RAFT))
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time))
    .at(-1);
  assert.ok(raft, 'a Raft object');
  const run = raft.tags?.find((t) => t.startsWith('stash-vault-run=')) ?? '';
  assert.ok(run !== '', 'the Raft object carries a run tag');
  if (archive !== undefined) {
    assert.ok(
      restic(w.v, w.repository, ['dump', raft.id, RAFT, '--no-cache']).equals(archive),
      'raft object equals the served archive byte for byte',
    );
  }
  const objects = list.filter((s) => s.tags?.includes(run) === true && s.id !== raft.id);
  const files = objects.find((s) => s.tags?.includes(KEYS_TAG));
  for (const [name, value] of keys) {
    const holder = files ?? objects.find((s) => s.tags?.includes(KEY_TAG) && s.paths.includes(`/${name}`));
    assert.ok(holder, `the backup holds ${name}`);
    assert.ok(
      restic(w.v, w.repository, ['dump', holder.id, `/${name}`, '--no-cache']).equals(value),
      `${name} reads back byte for byte on its own`,
    );
    assert.equal(holder.hostname, raft.hostname);
  }
  assert.equal(objects.length, files !== undefined ? 1 : keys.size, 'no other object in the run');
  if (files !== undefined) assert.equal(files.paths.length, keys.size, 'one file per key');
  return { raft, run, objects, layout: files !== undefined ? 'key-files' : 'key-objects' };
}

// No key file of any run may be left on the memory filesystem (the world's own folder on it).
export function keyDirsLeft(root: string): string[] {
  return readdirSync(root).filter((n) => n.startsWith('stash-vault-keys-'));
}
