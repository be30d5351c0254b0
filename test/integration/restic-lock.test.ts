// The lock forger against real restic 0.14 and 0.18: what it writes is listed, printed back, honoured
// and judged stale exactly like a lock restic wrote itself, and it reads what restic writes.
import { afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { forgeLock, lockJson, poly1305, readRepoFile, readRepoJson } from '../helpers/restic-lock.ts';
import type { ForgedLock, RepoFile } from '../helpers/restic-lock.ts';
import { newLocalRepo, restic, resticVersions, TEST_PASSWORD } from '../helpers/restic.ts';
import type { ResticVersion } from '../helpers/restic.ts';

const MINUTE = 60_000;

function listLocks(v: ResticVersion, repo: string): string[] {
  return restic(v, repo, ['list', 'locks', '--no-lock'])
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

// Runs restic expecting it to fail; returns its exit code and stderr.
function resticFails(v: ResticVersion, repo: string, args: string[]): { status: number; stderr: string } {
  try {
    restic(v, repo, args);
  } catch (err) {
    const e = err as { status?: number; stderr?: Buffer };
    return { status: e.status ?? -1, stderr: String(e.stderr ?? '') };
  }
  assert.fail(`restic ${args.join(' ')} succeeded`);
}

function backupSource(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lock-src-'));
  writeFileSync(join(dir, 'f.txt'), 'hello');
  return dir;
}

// A pid that surely belonged to a process and is gone now, like a pod's restic that was killed.
function deadPid(): number {
  const { pid } = spawnSync('true');
  assert.ok(pid !== undefined && pid > 0);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  return pid;
}

interface Running {
  pid: number;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal: NodeJS.Signals): boolean;
}

// A live process of this host; restic probes a lock's pid with SIGHUP, so it must ignore SIGHUP to
// survive `restic unlock` (the test runner itself would be killed).
async function runningProcess(ignoreHup: boolean): Promise<Running> {
  const child = spawn('sh', ['-c', `${ignoreHup ? "trap '' HUP; " : ''}exec sleep 120`], { stdio: 'ignore' });
  const pid = child.pid;
  assert.ok(pid !== undefined);
  // Wait for the exec, so the ignored SIGHUP is in place before restic signals the pid.
  for (let i = 0; i < 250; i++) {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep') return Object.assign(child, { pid });
    await sleep(20);
  }
  child.kill('SIGKILL');
  assert.fail('sleep did not start');
}

describe('poly1305', () => {
  test('matches the RFC 8439 §2.5.2 test vector', () => {
    const key = Buffer.from('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', 'hex');
    const tag = poly1305(key, Buffer.from('Cryptographic Forum Research Group'));
    assert.equal(tag.toString('hex'), 'a8061dc1305136c6c22b8baf0c0127a9');
  });
});

for (const v of resticVersions()) {
  describe(`restic ${v.label}: forged locks`, () => {
    // One repository per version: every restic run and key derivation costs about a second of scrypt.
    // Each test starts with no locks.
    let repo = '';
    before(() => {
      repo = newLocalRepo(v);
    });
    afterEach(() => {
      for (const f of readdirSync(join(repo, 'locks'))) rmSync(join(repo, 'locks', f), { force: true });
    });

    test('decrypts the config restic wrote (scrypt key, AES-256-CTR, Poly1305-AES MAC verified)', async () => {
      const config = await readRepoJson(repo, TEST_PASSWORD, 'config');
      const printed = JSON.parse(restic(v, repo, ['cat', 'config', '--no-lock']).toString('utf8'));
      assert.deepEqual(config, printed);
      assert.equal((config as { version: number }).version, 2);
      await assert.rejects(readRepoJson(repo, 'wrong password', 'config'), /wrong password or no key found/);
    });

    test('reads a lock restic holds, and writes the same fields, order and encoding', async () => {
      // backup --stdin holds its non-exclusive lock until stdin ends.
      const child = spawn(v.bin, ['backup', '--stdin', '--no-cache', '-q'], {
        env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: TEST_PASSWORD },
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      const exited = new Promise<number | null>((ok) => child.on('close', ok));
      try {
        // restic may be caught mid-write (a temp name, or a file not yet complete): wait for a lock
        // that reads back whole.
        let real: RepoFile | undefined;
        for (let i = 0; i < 150 && real === undefined; i++) {
          await sleep(100);
          const ids = readdirSync(join(repo, 'locks')).filter((f) => /^[0-9a-f]{64}$/.test(f));
          if (ids.length > 1) assert.fail(`restic holds ${String(ids.length)} locks`);
          if (ids[0] !== undefined)
            real = await readRepoFile(repo, TEST_PASSWORD, `locks/${ids[0]}`).catch(() => undefined);
        }
        assert.ok(real !== undefined, 'restic did not take its lock');
        const lock = real.json as Record<string, unknown>;
        assert.equal(lock['hostname'], hostname());
        assert.equal(lock['pid'], child.pid);
        assert.equal(lock['exclusive'], false);
        assert.ok(Math.abs(Date.parse(String(lock['time'])) - Date.now()) < MINUTE);
        assert.equal(real.plaintext[0], 2, 'restic stores locks as 0x02 || zstd in format v2');

        const forged: ForgedLock = {
          time: new Date(Date.parse(String(lock['time']))),
          exclusive: false,
          hostname: String(lock['hostname']),
          pid: Number(lock['pid']),
        };
        assert.deepEqual(Object.keys(JSON.parse(lockJson(forged))), Object.keys(lock));
        const id = await forgeLock(repo, TEST_PASSWORD, forged);
        assert.equal((await readRepoFile(repo, TEST_PASSWORD, `locks/${id}`)).plaintext[0], 2);
      } finally {
        child.stdin.end('some data');
        assert.equal(await exited, 0);
      }
    });

    for (const encoding of ['restic', 'plain'] as const) {
      test(`a forged exclusive lock (${encoding} encoding) is listed and cat prints it back`, async () => {
        const time = new Date();
        const id = await forgeLock(
          repo,
          TEST_PASSWORD,
          {
            time,
            exclusive: true,
            hostname: 'gone-pod-7',
            pid: 4242,
            username: 'stash',
            uid: 1000,
            gid: 2000,
          },
          { encoding },
        );
        assert.match(id, /^[0-9a-f]{64}$/);
        assert.deepEqual(listLocks(v, repo), [id]);
        const written = await readRepoFile(repo, TEST_PASSWORD, `locks/${id}`);
        assert.equal(written.plaintext[0], encoding === 'restic' ? 2 : 0x7b);
        const printed = JSON.parse(restic(v, repo, ['cat', 'lock', id, '--no-lock']).toString('utf8')) as {
          time: string;
        };
        // Go re-marshals the parsed lock, so an equal print means restic read every field as written.
        assert.equal(Date.parse(printed.time), time.getTime());
        assert.deepEqual(printed, written.json);
        assert.deepEqual(printed, {
          time: printed.time,
          exclusive: true,
          hostname: 'gone-pod-7',
          username: 'stash',
          pid: 4242,
          uid: 1000,
          gid: 2000,
        });
      });
    }

    test('backup is refused while a forged exclusive lock exists, and runs once it is gone', async () => {
      const src = backupSource();
      const id = await forgeLock(repo, TEST_PASSWORD, {
        time: new Date(),
        exclusive: true,
        hostname: 'gone-pod-7',
        pid: 4242,
      });
      const { status, stderr } = resticFails(v, repo, ['backup', '--no-cache', src]);
      assert.match(stderr, /repository is already locked exclusively by PID 4242 on gone-pod-7/);
      // 0.18 has a dedicated exit code for "failed to lock repository" (since 0.17); 0.14 exits 1.
      assert.equal(status, v.label === '0.14' ? 1 : 11);
      assert.deepEqual(listLocks(v, repo), [id]);

      restic(v, repo, ['unlock', '--remove-all']);
      restic(v, repo, ['backup', '--no-cache', '-q', src]);
    });

    test('a forged non-exclusive lock lets backup run but blocks an exclusive prune', async () => {
      await forgeLock(repo, TEST_PASSWORD, {
        time: new Date(),
        exclusive: false,
        hostname: 'gone-pod-7',
        pid: 4242,
      });
      restic(v, repo, ['backup', '--no-cache', '-q', backupSource()]);
      const { stderr } = resticFails(v, repo, ['prune', '--no-cache']);
      assert.match(stderr, /repository is already locked by PID 4242 on gone-pod-7/);
    });

    test('unlock keeps a fresh lock of another host, removes one 31 minutes old', async () => {
      const lock = { exclusive: true, hostname: 'gone-pod-7', pid: 4242 };
      const fresh = await forgeLock(repo, TEST_PASSWORD, { ...lock, time: new Date() });
      const old = await forgeLock(repo, TEST_PASSWORD, { ...lock, time: new Date(Date.now() - 31 * MINUTE) });
      assert.deepEqual(listLocks(v, repo), [fresh, old].sort());
      restic(v, repo, ['unlock']);
      assert.deepEqual(listLocks(v, repo), [fresh]);
      assert.ok(!existsSync(join(repo, 'locks', old)));
    });

    test('unlock removes a lock of this host whose pid is dead, keeps one whose pid runs', async () => {
      const here = { time: new Date(), exclusive: false, hostname: hostname() };
      const running = await runningProcess(true);
      try {
        const dead = await forgeLock(repo, TEST_PASSWORD, { ...here, pid: deadPid() });
        const alive = await forgeLock(repo, TEST_PASSWORD, { ...here, pid: running.pid });
        assert.deepEqual(listLocks(v, repo), [alive, dead].sort());
        restic(v, repo, ['unlock']);
        assert.deepEqual(listLocks(v, repo), [alive]);
        assert.equal(running.exitCode, null);
      } finally {
        running.kill('SIGKILL');
      }
    });

    // restic's liveness probe is a real SIGHUP, not signal 0: a same-host pid that does not ignore
    // SIGHUP is killed by the probe (its lock is kept, since the signal was delivered).
    test('unlock probes a same-host pid with SIGHUP', async () => {
      const running = await runningProcess(false);
      try {
        const id = await forgeLock(repo, TEST_PASSWORD, {
          time: new Date(),
          exclusive: false,
          hostname: hostname(),
          pid: running.pid,
        });
        restic(v, repo, ['unlock']);
        assert.deepEqual(listLocks(v, repo), [id]);
        for (let i = 0; i < 250 && running.signalCode === null; i++) await sleep(20);
        assert.equal(running.signalCode, 'SIGHUP');
      } finally {
        running.kill('SIGKILL');
      }
    });
  });
}
