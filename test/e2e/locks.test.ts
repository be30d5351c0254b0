// Locks before a backup: a lock is removed only when its holder is provably dead (its pod finished, or its
// pod is gone and restic stopped refreshing the lock); a holder that may be alive, in a pod or outside
// Kubernetes, is waited for and then named, never removed. Locks are forged with chosen hostnames and
// times (test/helpers/restic-lock.ts) or held by a live restic on another host name (a UTS namespace).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { forgeLock } from '../helpers/restic-lock.ts';
import { lockFiles } from '../helpers/restic-process.ts';
import { pod } from '../emulators/kube/fixtures.ts';
import { restic, resticVersions, snapshots, TEST_PASSWORD } from '../helpers/restic.ts';
import { NS, startWorld, type World } from '../helpers/world.ts';

const MIN = 60_000;
// A pid no process of this machine has: restic probes same-host pids with SIGHUP, other hosts never.
const FOREIGN_PID = 4242;

const v = resticVersions()[0];
if (v !== undefined) {
  describe(`restic locks before a backup (restic ${v.label})`, () => {
    let w: World;
    before(async () => {
      w = await startWorld({ restic: v });
      const first = await w.backup();
      assert.equal(first.code, 0, first.stderr.slice(-2000));
    });
    after(() => w.close());
    beforeEach(() => restic(v, w.repository, ['unlock', '--remove-all', '--no-cache']));

    const phase = (): unknown => w.output().targetStatus.stats[0]?.['phase'];
    const error = (): string => String(w.output().targetStatus.stats[0]?.['error']);

    test('the exclusive lock of a pod that finished is removed, then the backup runs', async () => {
      w.kube.put(pod({ name: 'old-backup-pod', namespace: NS, phase: 'Failed' }));
      await forgeLock(w.repository, TEST_PASSWORD, {
        time: new Date(),
        exclusive: true,
        hostname: 'old-backup-pod',
        pid: FOREIGN_PID,
      });
      const before = snapshots(v, w.repository).length;
      const run = await w.backup({ BACKUP_SESSION: '' });
      assert.equal(phase(), 'Succeeded', error());
      assert.ok(
        run.logs.some((l) => l['msg'] === 'removing restic locks whose holders have finished or are gone'),
      );
      assert.ok(snapshots(v, w.repository).length > before);
    });

    test("a gone pod's lock is removed once restic stopped refreshing it", async () => {
      await forgeLock(w.repository, TEST_PASSWORD, {
        time: new Date(Date.now() - 11 * MIN),
        exclusive: true,
        hostname: 'crashed-pod-x',
        pid: FOREIGN_PID,
      });
      const run = await w.backup({ BACKUP_SESSION: '' });
      assert.equal(phase(), 'Succeeded', error());
      assert.ok(
        run.logs.some((l) => l['msg'] === 'removing restic locks whose holders have finished or are gone'),
      );
    });

    test('a fresh lock of a host that is no pod is waited for, never removed; the run fails naming it', async () => {
      const id = await forgeLock(w.repository, TEST_PASSWORD, {
        time: new Date(Date.now() - 2 * MIN),
        exclusive: true,
        hostname: 'admin-laptop',
        pid: FOREIGN_PID,
      });
      const before = snapshots(v, w.repository).length;
      const run = await w.backup({ BACKUP_SESSION: '' }, { extraArgs: ['--lock-timeout=2'] });
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      assert.equal(phase(), 'Failed');
      assert.match(
        error(),
        /locked by holders that may still be running: exclusive lock of admin-laptop pid 4242 \(1\d\ds old\)/,
      );
      assert.deepEqual(lockFiles(w.repository), [id], 'the lock is still there');
      assert.equal(snapshots(v, w.repository).length, before, 'nothing was written');
    });

    test('a live restic outside Kubernetes holding an exclusive lock is waited for and left alone', async () => {
      // `restic key passwd` takes the exclusive lock, then waits for a new password on stdin.
      const holder: ChildProcess = spawn(
        'unshare',
        ['--uts', 'sh', '-c', 'hostname admin-box && exec "$0" key passwd --no-cache', v.bin],
        {
          env: { ...process.env, RESTIC_REPOSITORY: w.repository, RESTIC_PASSWORD: TEST_PASSWORD },
          stdio: ['pipe', 'ignore', 'ignore'],
        },
      );
      try {
        for (let i = 0; i < 200 && lockFiles(w.repository).length === 0; i++)
          await new Promise((r) => setTimeout(r, 50));
        const held = lockFiles(w.repository);
        assert.equal(held.length, 1, 'the live restic holds its lock');
        const run = await w.backup({ BACKUP_SESSION: '' }, { extraArgs: ['--lock-timeout=3'] });
        assert.equal(phase(), 'Failed');
        assert.match(error(), /exclusive lock of admin-box pid \d+/);
        assert.ok(
          run.logs.some((l) => l['msg'] === 'waiting for restic lock holders that may still be running'),
        );
        assert.equal(holder.exitCode, null, 'the holder is still running');
        assert.deepEqual(lockFiles(w.repository), held, 'its lock is untouched');
      } finally {
        holder.kill('SIGKILL');
        await new Promise((r) => holder.once('exit', r));
      }
    });

    test("a running pod's lock is waited for until that pod finishes; a live shared lock beside a dead exclusive one blocks removal too", async () => {
      w.kube.put(pod({ name: 'prune-pod', namespace: NS, phase: 'Running' }));
      w.kube.put(pod({ name: 'other-backup', namespace: NS, phase: 'Running' }));
      w.kube.put(pod({ name: 'done-pod', namespace: NS, phase: 'Succeeded' }));
      await forgeLock(w.repository, TEST_PASSWORD, {
        time: new Date(),
        exclusive: true,
        hostname: 'prune-pod',
        pid: FOREIGN_PID,
      });
      await forgeLock(w.repository, TEST_PASSWORD, {
        time: new Date(),
        exclusive: true,
        hostname: 'done-pod',
        pid: FOREIGN_PID,
      });
      await forgeLock(w.repository, TEST_PASSWORD, {
        time: new Date(),
        exclusive: false,
        hostname: 'other-backup',
        pid: FOREIGN_PID,
      });
      let podReads = 0;
      w.kube.onRequest((method, path) => {
        if (method !== 'GET' || !path.endsWith('/pods/prune-pod')) return;
        podReads += 1;
        if (podReads === 2) w.kube.put(pod({ name: 'prune-pod', namespace: NS, phase: 'Succeeded' }));
        if (podReads === 3) w.kube.put(pod({ name: 'other-backup', namespace: NS, phase: 'Succeeded' }));
      });
      const run = await w.backup({ BACKUP_SESSION: '' });
      assert.equal(phase(), 'Succeeded', error());
      const waits = run.logs.filter(
        (l) => l['msg'] === 'waiting for restic lock holders that may still be running',
      );
      assert.ok(waits.length >= 2, 'it waited while prune-pod, then other-backup, still ran');
      assert.match(JSON.stringify(waits.at(-1)), /other-backup/);
      assert.ok(podReads >= 3);
    });
  });
}
