// Test worlds leave nothing behind: a benchmark's rest-server repository weighs gigabytes, and a few
// hundred e2e runs once filled this machine's disk (ENOSPC in the middle of `make bench`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resticVersions } from '../helpers/restic.ts';
import { startWorld } from '../helpers/world.ts';

test('closing a world removes its folders, the rest-server repository and the restic shim', async () => {
  const v = resticVersions()[0];
  assert.ok(v, 'restic is installed');
  const w = await startWorld({ restic: v, backend: 'rest' });
  const dirs = w.tempDirs();
  assert.equal(dirs.length, 4);
  for (const d of dirs) assert.ok(existsSync(d), `${d} exists while the world runs`);
  await w.close();
  for (const d of dirs) assert.equal(existsSync(d), false, `${d} is left behind`);
});
