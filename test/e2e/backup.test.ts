// backup-vault end to end: the built CLI with the upstream Function's args expanded as Stash does,
// against the emulated Kubernetes API and a 3-node HTTPS Vault, into real restic 0.14 and 0.18 repositories.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { restic, resticVersions, snapshots } from '../helpers/restic.ts';
import { runCli } from '../helpers/run-cli.ts';
import { BACKUP_TOKEN_POLICY, startWorld, type World } from '../helpers/world.ts';
import { assertFailedOutput, assertNoSecretsLeaked, assertSucceededOutput } from '../helpers/assertions.ts';
import { assertStoredBackup, keyDirsLeft } from '../helpers/stored-backup.ts';
import {
  bytesRead,
  isRaftBackup,
  lockFiles,
  waitForBytesRead,
  waitForExit,
  waitForStart,
} from '../helpers/restic-process.ts';

const RAFT = '/vault-raft.snap';
const MiB = 1024 * 1024;

// restic's own record: the Raft objects a restic backup reported committed since commit number `from`.
function raftCommits(w: World, from: number): string[] {
  return w.shim
    .commits()
    .slice(from)
    .filter((c) => c.stdinFilename === 'vault-raft.snap')
    .map((c) => c.snapshotId);
}

// The most bytes the run's Raft restic was seen to read: proves a fault came after restic had data.
function watchRaftInput(w: World): () => number {
  const from = w.shim.starts().length;
  let pid: number | undefined;
  let most = 0;
  const timer = setInterval(() => {
    pid ??= w.shim
      .starts()
      .slice(from)
      .find((s) => isRaftBackup(s.argv))?.pid;
    if (pid !== undefined) most = Math.max(most, bytesRead(pid) ?? 0);
  }, 5);
  return () => {
    clearInterval(timer);
    return most;
  };
}

for (const v of resticVersions()) {
  for (const backend of ['local', 'rest'] as const) {
    describe(`backup-vault, restic ${v.label}, ${backend} repository`, () => {
      let w: World;
      before(async () => {
        w = await startWorld({ restic: v, backend, tokenPolicy: BACKUP_TOKEN_POLICY });
      });
      after(() => w.close());

      test('stores the verified snapshot and the keys (one file each), one restic start per step; output.json for update-status', async () => {
        // Someone else writes the BackupSession status first, twice: the condition write must retry on 409.
        w.kube.conflictNextStatusWrites(2);
        const startsFrom = w.shim.starts().length;
        const run = await w.backup();
        const statusWrites = w.kube
          .requests()
          .filter((r) => r.method === 'PUT' && r.path.endsWith('/backupsessions/vault-backup-1/status'));
        assert.deepEqual(
          statusWrites.map((r) => r.status),
          [409, 409, 200],
        );
        assert.equal(run.code, 0, run.stderr.slice(-3000));
        const snaps = assertSucceededOutput(w, 2);
        assert.deepEqual(
          snaps.map((x) => x['path']),
          ['unsealer-keys', 'vault-raft.snap'],
        );
        const stored = assertStoredBackup(w);
        assert.equal(stored.layout, 'key-files');
        assert.deepEqual(keyDirsLeft(w.keysTmpfs), [], 'no key file left on the tmpfs');
        // The repository probe (which also lists locks), init (the repository is new), keys, Raft object.
        assert.deepEqual(
          w.shim
            .starts()
            .slice(startsFrom)
            .map((x) => x.argv[0]),
          ['list', 'init', 'backup', 'backup'],
        );
        const session = w.kube.get(
          'stash.appscode.com/v1beta1',
          'BackupSession',
          'demo',
          'vault-backup-1',
        ) as unknown as { status: { conditions: Array<Record<string, string>> } };
        const cond = session.status.conditions.find((c) => c['type'] === 'BackendRepositoryInitialized');
        assert.equal(cond?.['status'], 'True');
        assert.equal(cond?.['reason'], 'BackendRepositoryFound');
        assert.ok(run.logs.some((l) => l['msg'] === 'snapshot archive verified'));
        assert.ok(w.shim.calls().every((argv) => !argv.includes('--password')));
        assertNoSecretsLeaked(w, run);
      });

      if (backend === 'local') {
        test('the Raft object commits last, after every key object, even when the keys are slow', async () => {
          const from = w.shim.commits().length;
          const run = await w.backup({}, { env: { RESTIC_SHIM_DELAY_KEYS_SECONDS: '2' } });
          assert.equal(run.code, 0, run.stderr.slice(-3000));
          assert.equal(w.output().targetStatus.stats[0]?.['phase'], 'Succeeded');
          // restic's own record: the order in which each process printed its saved snapshot.
          const commits = w.shim.commits().slice(from);
          const raft = commits.filter((c) => c.stdinFilename === 'vault-raft.snap');
          const keys = commits.filter((c) => c.stdinFilename !== 'vault-raft.snap');
          assert.equal(raft.length, 1);
          assert.ok(keys.length >= 1, 'key objects were committed');
          for (const k of keys)
            assert.ok(k.atNs < (raft[0]?.atNs ?? 0n), 'a key object committed after the Raft object');
          // restic 0.17+ also records when each backup ended, in the snapshot itself.
          const ended = w
            .resticJson<Array<{ id: string; summary?: { backup_end?: string } }>>(['snapshots'])
            .filter((s) => commits.some((c) => s.id.startsWith(c.snapshotId)))
            .map((s) => ({ id: s.id, end: s.summary?.backup_end }));
          if (v.label !== '0.14') {
            const raftEnd = Date.parse(
              ended.find((e) => e.id.startsWith(raft[0]?.snapshotId ?? '-'))?.end ?? '',
            );
            for (const e of ended.filter((x) => !x.id.startsWith(raft[0]?.snapshotId ?? '-')))
              assert.ok(
                Date.parse(e.end ?? '') <= raftEnd,
                'restic recorded a key object ending after the Raft object',
              );
          }
        });
      }
    });
  }
}

const [v0] = resticVersions();
if (v0 !== undefined) {
  describe(`backup-vault failure modes (restic ${v0.label})`, () => {
    let w: World;
    let before0 = 0;
    before(async () => {
      w = await startWorld({ restic: v0, vault: { padStateBinBytes: 4 * 1024 * 1024, compressionLevel: 1 } });
      const ok = await w.backup();
      assert.equal(ok.code, 0, ok.stderr.slice(-3000));
      before0 = snapshots(v0, w.repository).length;
    });
    after(() => w.close());

    // [name, inject, error, restic had data before the fault was seen]
    const faults: Array<[string, () => void, RegExp, boolean]> = [
      [
        'a connection reset mid-stream',
        () => (w.vault.faults.resetAfterBytes = 2_500_000),
        /terminated|reset|socket|closed|aborted/i,
        true,
      ],
      [
        'a 200 that ends early',
        () => (w.vault.faults.truncateAfterBytes = 2_500_000),
        /not a complete gzip stream|truncated/,
        true,
      ],
      [
        'a bad checksum',
        () => (w.vault.faults.corruptSums = true),
        /hash check failed for "state.bin"/,
        true,
      ],
      [
        'a missing SHA256SUMS.sealed',
        () => (w.vault.faults.omitSealedSums = true),
        /SHA256SUMS.sealed/,
        true,
      ],
      ['a 500 before the first byte', () => (w.vault.faults.snapshotError500 = true), /answered 500/, false],
    ];
    for (const [name, inject, pattern, afterData] of faults) {
      test(`${name}: Failed output, restic never commits the Raft object`, async () => {
        w.vault.clearFaults();
        inject();
        const commitsFrom = w.shim.commits().length;
        const raftInput = watchRaftInput(w);
        const run = await w.backup();
        const seen = raftInput();
        w.vault.clearFaults();
        assertFailedOutput(w, run, pattern, before0);
        // Not "committed, then forgotten": restic itself never reported the Raft object saved.
        assert.deepEqual(raftCommits(w, commitsFrom), [], 'restic committed a Raft object of a failed run');
        if (afterData) assert.ok(seen >= 2 * MiB, `restic had read only ${seen} bytes when the fault hit`);
        assertNoSecretsLeaked(w, run);
      });
    }

    test('restic failing mid-input: Failed output, key objects of the run forgotten', async () => {
      w.vault.faults.chunkDelayMs = 20;
      const run = await w.backup({}, { env: { RESTIC_SHIM_FAIL_RAFT_AFTER: '300000' } });
      w.vault.clearFaults();
      assertFailedOutput(
        w,
        run,
        /restic backup: restic failed \(exit code 1\): Fatal: simulated backend failure/,
        before0,
      );
    });

    test('the task killed outright (SIGKILL) once restic has data: restic dies with it, nothing committed', async () => {
      const raftBefore = snapshots(v0, w.repository).filter((s) => s.paths.includes(RAFT)).length;
      w.vault.faults.chunkDelayMs = 20;
      const startsFrom = w.shim.starts().length;
      const commitsFrom = w.shim.commits().length;
      let cliPid = 0;
      const running = w.backup({}, { onSpawn: (pid) => (cliPid = pid) });
      const raft = await waitForStart(w.shim, isRaftBackup, startsFrom);
      await waitForBytesRead(raft.pid, 2 * MiB);
      process.kill(cliPid, 'SIGKILL');
      const run = await running;
      w.vault.clearFaults();
      assert.equal(run.signal, 'SIGKILL');
      // Without the parent-death signal restic would read EOF now and commit what it had.
      await waitForExit(raft.pid);
      assert.deepEqual(raftCommits(w, commitsFrom), [], 'restic committed a truncated Raft object');
      const list = snapshots(v0, w.repository);
      assert.equal(list.filter((s) => s.paths.includes(RAFT)).length, raftBefore, 'no truncated Raft object');
      // Key objects committed before the kill cannot be forgotten by a dead process; without their Raft
      // object they are not a backup (restore selects Raft objects). Remove them for the next tests.
      const orphans = list.filter(
        (s) =>
          !s.paths.includes(RAFT) &&
          !list.some(
            (r) =>
              r.paths.includes(RAFT) &&
              r.tags?.some((t) => s.tags?.includes(t) && t.startsWith('stash-vault-run=')),
          ),
      );
      // The killed restic processes' locks go first: forget needs an exclusive lock.
      restic(v0, w.repository, ['unlock', '--remove-all', '--no-cache']);
      if (orphans.length > 0) restic(v0, w.repository, ['forget', '--no-cache', ...orphans.map((o) => o.id)]);
    });

    test('SIGTERM once restic has data: exit 143, Failed output, nothing of the run left', async () => {
      w.vault.faults.chunkDelayMs = 30;
      const startsFrom = w.shim.starts().length;
      const commitsFrom = w.shim.commits().length;
      let cliPid = 0;
      const running = w.backup({}, { onSpawn: (pid) => (cliPid = pid) });
      const raft = await waitForStart(w.shim, isRaftBackup, startsFrom);
      await waitForBytesRead(raft.pid, 2 * MiB);
      const signalledAt = Date.now();
      process.kill(cliPid, 'SIGTERM');
      const run = await running;
      const seconds = (Date.now() - signalledAt) / 1000;
      w.vault.clearFaults();
      assert.equal(run.code, 143, run.stderr.slice(-2000));
      assert.ok(seconds < 5, `exited ${seconds.toFixed(1)} s after SIGTERM`);
      const host = w.output().targetStatus.stats[0] ?? {};
      assert.equal(host['phase'], 'Failed');
      assert.match(String(host['error']), /cancelled by SIGTERM/);
      assert.deepEqual(raftCommits(w, commitsFrom), []);
      const locks = restic(v0, w.repository, ['list', 'locks', '--no-lock', '--no-cache']).toString().trim();
      assert.equal(locks, '');
      // Key objects of the cancelled run may have been committed before the signal; they must be gone.
      assert.equal(snapshots(v0, w.repository).length, before0);
    });

    test('SIGTERM while a restic that took its lock dies without cleaning up: no lock is left', async () => {
      // restic 0.14 can leave its lock when SIGINT lands early in its start-up; a restic killed outright
      // right after taking its lock leaves the same trace, deterministically.
      w.vault.faults.chunkDelayMs = 30;
      const startsFrom = w.shim.starts().length;
      let cliPid = 0;
      const running = w.backup({}, { onSpawn: (pid) => (cliPid = pid) });
      const raft = await waitForStart(w.shim, isRaftBackup, startsFrom);
      // restic reads its input only once it holds its lock.
      await waitForBytesRead(raft.pid, MiB);
      process.kill(raft.pid, 'SIGKILL');
      const signalledAt = Date.now();
      process.kill(cliPid, 'SIGTERM');
      const run = await running;
      const seconds = (Date.now() - signalledAt) / 1000;
      w.vault.clearFaults();
      assert.ok(seconds < 5, `exited ${seconds.toFixed(1)} s after SIGTERM`);
      assert.equal(run.code, 143, run.stderr.slice(-2000));
      const host = w.output().targetStatus.stats[0] ?? {};
      assert.equal(host['phase'], 'Failed');
      assert.deepEqual(lockFiles(w.repository), [], 'a lock of the dead restic was left behind');
      assert.equal(snapshots(v0, w.repository).length, before0);
    });

    test('token without read on the snapshot path: clear error before anything is written', async () => {
      const token = w.vault.createToken({ 'sys/storage/raft/snapshot': ['list'] });
      w.kube.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'vault-backup-token', namespace: 'demo' },
        data: { token: Buffer.from(token).toString('base64') },
      });
      const run = await w.backup();
      w.kube.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'vault-backup-token', namespace: 'demo' },
        data: { token: Buffer.from(w.backupToken).toString('base64') },
      });
      assertFailedOutput(
        w,
        run,
        /lacks the "read" capability on sys\/storage\/raft\/snapshot \(it has: list\)/,
        before0,
      );
      assertNoSecretsLeaked(w, run, [token]);
    });

    test('a missing unseal key fails the run before anything is written', async () => {
      const keys = w.kube.get('v1', 'Secret', 'demo', 'vault-keys') as unknown as {
        data: Record<string, string>;
      };
      const saved = { ...keys.data };
      delete keys.data[`${w.keyPrefix}-unseal-key-2`];
      w.kube.put(keys as never);
      const logFrom = w.vault.requestLog().length;
      const startsFrom = w.shim.starts().length;
      const run = await w.backup();
      w.kube.put({ ...(keys as object), data: saved } as never);
      assertFailedOutput(
        w,
        run,
        /kubernetesSecret demo\/vault-keys is missing k8s\.kubevault\.com\.demo\.vault-unseal-key-2/,
        before0,
      );
      const snapshotReads = w.vault
        .requestLog()
        .slice(logFrom)
        .filter((r) => r.path.startsWith('/v1/sys/storage/raft/snapshot'));
      assert.deepEqual(snapshotReads, [], 'no snapshot was requested from Vault');
      const writers = w.shim
        .starts()
        .slice(startsFrom)
        .filter((s) => s.argv[0] === 'backup');
      assert.deepEqual(writers, [], 'no restic backup was started');
    });

    test('a sealed Vault: waits --wait-timeout, then fails clearly', async () => {
      w.vault.seal();
      const run = await w.backup({ waitTimeout: '2' });
      assertFailedOutput(
        w,
        run,
        /was not ready \(initialized and unsealed\) within 2s; last state: sealed/,
        before0,
      );
      const agent = new Agent({ connect: { ca: w.pki.caPem } });
      for (let i = 0; i < w.vault.threshold; i++) {
        const r = await request(`${w.vault.nodes[w.vault.activeIndex()]?.url}/v1/sys/unseal`, {
          dispatcher: agent,
          method: 'PUT',
          body: JSON.stringify({ key: w.vault.unsealKeys[i] }),
        });
        assert.equal(r.statusCode, 200);
        await r.body.dump();
      }
      await agent.close();
      assert.equal(w.vault.isSealed(), false);
    });

    test('a non-raft backend is refused', async () => {
      const ab = w.kube.get('appcatalog.appscode.com/v1alpha1', 'AppBinding', 'demo', 'vault') as unknown as {
        spec: { parameters: Record<string, unknown> };
      };
      ab.spec.parameters['backend'] = 'consul';
      w.kube.put(ab as never);
      const run = await w.backup();
      ab.spec.parameters['backend'] = 'raft';
      w.kube.put(ab as never);
      assertFailedOutput(w, run, /backend must be Raft/, before0);
    });

    test('leadership moved to another node: the new active node is found, never a standby', async () => {
      w.vault.setActive(2);
      const logFrom = w.vault.requestLog().length;
      const run = await w.backup();
      assert.equal(run.code, 0, run.stderr.slice(-3000));
      assert.equal(w.output().targetStatus.stats[0]?.['phase'], 'Succeeded');
      const gets = w.vault
        .requestLog()
        .slice(logFrom)
        .filter((r) => r.method === 'GET' && r.path.startsWith('/v1/sys/storage/raft/snapshot'));
      assert.ok(gets.length >= 1);
      // Every snapshot request of the run, not only the last, went to the active node and was served.
      assert.deepEqual(
        gets.map((g) => [g.node, g.status]),
        gets.map(() => [2, 200]),
      );
      before0 = snapshots(v0, w.repository).length;
    });

    test('a usage error exits 2 and still reports through output.json', async () => {
      const run = await runCli(
        ['backup-vault', `--output-dir=${w.outputDir}`, '--provider=', '--appbinding=vault'],
        { env: { KUBECONFIG: w.kubeconfig } },
      );
      assert.equal(run.code, 2);
      assert.match(run.stderr, /--provider is required; --storage-secret-name is required/);
      const host = w.output().targetStatus.stats[0] ?? {};
      assert.equal(host['phase'], 'Failed');
      assert.match(String(host['error']), /invalid arguments/);
    });

    test('without --output-dir a failure exits 1', async () => {
      w.vault.faults.corruptSums = true;
      const run = await w.backup({ outputDir: '' });
      w.vault.clearFaults();
      assert.equal(run.code, 1);
      assert.match(run.stderr, /hash check failed/);
    });
  });
}
