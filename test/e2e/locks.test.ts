// Stale-lock handling before a backup (stash-contract §3.4): an exclusive lock left by a dead pod is
// removed; one held by a pod that is still running is waited for, never removed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pod } from '../emulators/kube/fixtures.ts';
import { restic, resticVersions, snapshots, TEST_PASSWORD } from '../helpers/restic.ts';
import { NS, startWorld, type World } from '../helpers/world.ts';

// `key passwd` takes the exclusive lock, then waits for a new password on stdin; SIGKILL leaves the lock.
async function leaveExclusiveLock(w: World): Promise<void> {
  const child = spawn(w.v.bin, ['key', 'passwd', '--no-cache'], {
    env: { ...process.env, RESTIC_REPOSITORY: w.repository, RESTIC_PASSWORD: TEST_PASSWORD },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  for (let i = 0; i < 100; i++) {
    if (restic(w.v, w.repository, ['list', 'locks', '--no-lock', '--no-cache']).toString().trim() !== '')
      break;
    await sleep(100);
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

const v = resticVersions()[0];
if (v !== undefined) {
  describe(`stale restic locks (restic ${v.label})`, () => {
    let w: World;
    before(async () => {
      w = await startWorld({ restic: v });
      const first = await w.backup();
      assert.equal(first.code, 0, first.stderr.slice(-2000));
    });
    after(() => w.close());

    test('an exclusive lock of a pod that is gone is removed, then the backup runs', async () => {
      await leaveExclusiveLock(w);
      const before = snapshots(v, w.repository).length;
      const run = await w.backup({ BACKUP_SESSION: '' });
      assert.equal(
        w.output().targetStatus.stats[0]?.['phase'],
        'Succeeded',
        String(w.output().targetStatus.stats[0]?.['error']),
      );
      assert.ok(
        run.logs.some((l) => l['msg'] === 'removing restic locks left by pods that are no longer running'),
      );
      assert.ok(snapshots(v, w.repository).length > before);
    });

    test('a lock of a running pod is waited for until that pod finishes', async () => {
      await leaveExclusiveLock(w);
      w.kube.put(pod({ name: hostname(), namespace: NS, phase: 'Running' }));
      let podReads = 0;
      w.kube.onRequest((method, path) => {
        if (method === 'GET' && path.endsWith(`/pods/${hostname()}`) && ++podReads === 2) {
          w.kube.put(pod({ name: hostname(), namespace: NS, phase: 'Succeeded' }));
        }
      });
      const run = await w.backup({ BACKUP_SESSION: '' });
      assert.equal(
        w.output().targetStatus.stats[0]?.['phase'],
        'Succeeded',
        String(w.output().targetStatus.stats[0]?.['error']),
      );
      assert.ok(run.logs.some((l) => l['msg'] === 'waiting for a running pod to release its restic lock'));
      assert.ok(podReads >= 2);
    });
  });
}
