// The CLI as the image runs it: the runtime layout assembled by scripts/image-rootfs.sh (production
// dependencies only, dist/, the image's restic 0.18), read-only, backing up and restoring end to end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, TOOLS } from '../helpers/paths.ts';
import { startWorld, type World } from '../helpers/world.ts';
import { assertNoSecretsLeaked, assertSucceededOutput } from '../helpers/assertions.ts';
import { assertStoredBackup } from '../helpers/stored-backup.ts';

const haveTools = existsSync(join(TOOLS, 'restic-0.18'));
if (!haveTools && process.env['CI'] === 'true')
  throw new Error('restic 0.18 missing: run scripts/setup-tools.sh');

describe('the image runtime layout, read-only', { skip: !haveTools && 'restic 0.18 not installed' }, () => {
  let w: World;
  let rootfs: string;
  before(async () => {
    rootfs = join(mkdtempSync(join(tmpdir(), 'rootfs-')), 'image');
    execFileSync('bash', [join(REPO_ROOT, 'scripts', 'image-rootfs.sh'), rootfs], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
    const binDir = join(rootfs, 'usr', 'local', 'bin');
    w = await startWorld({ restic: { label: '0.18 (image)', binDir, bin: join(binDir, 'restic') } });
  });
  after(() => w.close());

  test('backup and restore with the image CLI and its restic', async () => {
    const cli = join(rootfs, 'app', 'dist', 'cli.js');
    const run = await w.backup({}, { cli });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assertSucceededOutput(w, 2);
    assert.equal(assertStoredBackup(w).layout, 'key-files');
    assertNoSecretsLeaked(w, run);
    const atBackup = w.vault.data();
    w.vault.setData('secret/app/db', 'changed');
    const restored = await w.restore({}, { cli });
    assert.equal(restored.code, 0, restored.stderr.slice(-2000));
    assert.equal(w.output().targetStatus.stats[0]?.['phase'], 'Succeeded');
    assert.deepEqual(w.vault.data(), atBackup);
  });
});
