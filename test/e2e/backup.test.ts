// backup-vault end to end: the built CLI with the upstream Function's args expanded as Stash does,
// against the emulated Kubernetes API and a 3-node HTTPS Vault, into real restic 0.14 and 0.18 repositories.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { restic, resticVersions, snapshots } from '../helpers/restic.ts';
import { runCli } from '../helpers/run-cli.ts';
import { BACKUP_TOKEN_POLICY, startWorld, type World } from '../helpers/world.ts';
import { assertFailedOutput, assertNoSecretsLeaked, assertSucceededOutput } from '../helpers/assertions.ts';

const RAFT = '/vault-raft.snap';

function assertStoredBackup(w: World): void {
  const list = snapshots(w.v, w.repository);
  const archive = w.vault.lastServedArchive();
  assert.ok(archive, 'the emulator served an archive');
  const raft = list.filter((s) => s.paths.includes(RAFT));
  assert.equal(raft.length, 1);
  const run = raft[0]?.tags?.find((t) => t.startsWith('stash-vault-run='));
  assert.ok(run);
  assert.ok(
    restic(w.v, w.repository, ['dump', raft[0]?.id ?? '', RAFT, '--no-cache']).equals(archive),
    'raft object equals the served archive byte for byte',
  );
  const expected: Record<string, string> = { [`${w.keyPrefix}-root-token`]: w.vault.rootToken };
  w.vault.unsealKeys.forEach((k, i) => (expected[`${w.keyPrefix}-unseal-key-${i}`] = k));
  for (const [name, value] of Object.entries(expected)) {
    const obj: typeof list = list.filter((s) => s.paths.includes(`/${name}`) && s.tags?.includes(run));
    assert.equal(obj.length, 1, name);
    assert.equal(
      restic(w.v, w.repository, ['dump', obj[0]?.id ?? '', `/${name}`, '--no-cache']).toString('utf8'),
      value,
      name,
    );
    assert.equal(obj[0]?.hostname, 'host-0');
  }
  assert.equal(list.length, Object.keys(expected).length + 1);
}

for (const v of resticVersions()) {
  for (const backend of ['local', 'rest'] as const) {
    describe(`backup-vault, restic ${v.label}, ${backend} repository`, () => {
      let w: World;
      before(async () => {
        w = await startWorld({ restic: v, backend, tokenPolicy: BACKUP_TOKEN_POLICY });
      });
      after(() => w.close());

      test('stores the verified snapshot and every key as its own object; output.json for update-status', async () => {
        // Someone else writes the BackupSession status first, twice: the condition write must retry on 409.
        w.kube.conflictNextStatusWrites(2);
        const run = await w.backup();
        const statusWrites = w.kube
          .requests()
          .filter((r) => r.method === 'PUT' && r.path.endsWith('/backupsessions/vault-backup-1/status'));
        assert.deepEqual(
          statusWrites.map((r) => r.status),
          [409, 409, 200],
        );
        assert.equal(run.code, 0, run.stderr.slice(-3000));
        const snaps = assertSucceededOutput(w, w.vault.unsealKeys.length + 2);
        assert.equal(snaps.at(-1)?.['path'], 'vault-raft.snap');
        assertStoredBackup(w);
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

    const faults: Array<[string, () => void, RegExp]> = [
      [
        'a connection reset mid-stream',
        () => (w.vault.faults.resetAfterBytes = 1_000_000),
        /terminated|reset|socket|closed|aborted/i,
      ],
      [
        'a 200 that ends early',
        () => (w.vault.faults.truncateAfterBytes = 1_500_000),
        /not a complete gzip stream|truncated/,
      ],
      ['a bad checksum', () => (w.vault.faults.corruptSums = true), /hash check failed for "state.bin"/],
      ['a missing SHA256SUMS.sealed', () => (w.vault.faults.omitSealedSums = true), /SHA256SUMS.sealed/],
      ['a 500 before the first byte', () => (w.vault.faults.snapshotError500 = true), /answered 500/],
    ];
    for (const [name, inject, pattern] of faults) {
      test(`${name}: Failed output, no new object`, async () => {
        w.vault.clearFaults();
        inject();
        const run = await w.backup();
        w.vault.clearFaults();
        assertFailedOutput(w, run, pattern, before0);
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

    test('the task killed outright (SIGKILL) mid-stream: restic dies with it, no Raft object recorded', async () => {
      const raftBefore = snapshots(v0, w.repository).filter((s) => s.paths.includes(RAFT)).length;
      w.vault.faults.chunkDelayMs = 20;
      const run = await w.backup({}, { signal: { name: 'SIGKILL', when: /streaming the Raft snapshot/ } });
      w.vault.clearFaults();
      assert.equal(run.signal, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 3000));
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
      if (orphans.length > 0) restic(v0, w.repository, ['forget', '--no-cache', ...orphans.map((o) => o.id)]);
      restic(v0, w.repository, ['unlock', '--remove-all', '--no-cache']);
    });

    test('SIGTERM mid-stream: exit 143, Failed output, nothing of the run left', async () => {
      w.vault.faults.chunkDelayMs = 30;
      const run = await w.backup({}, { signal: { name: 'SIGTERM', when: /streaming the Raft snapshot/ } });
      w.vault.clearFaults();
      assert.equal(run.code, 143, run.stderr.slice(-2000));
      const host = w.output().targetStatus.stats[0] ?? {};
      assert.equal(host['phase'], 'Failed');
      assert.match(String(host['error']), /cancelled by SIGTERM/);
      const locks = restic(v0, w.repository, ['list', 'locks', '--no-lock', '--no-cache']).toString().trim();
      assert.equal(locks, '');
      // Key objects of the cancelled run may have been committed before the signal; they must be gone.
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
      const run = await w.backup();
      w.kube.put({ ...(keys as object), data: saved } as never);
      assertFailedOutput(
        w,
        run,
        /kubernetesSecret demo\/vault-keys is missing k8s\.kubevault\.com\.demo\.vault-unseal-key-2/,
        before0,
      );
      assert.ok(
        !w.vault
          .requestLog()
          .some((r) => r.path.includes('raft/snapshot') && r.method === 'GET' && r.status === 200 && false),
      );
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
      const run = await w.backup();
      assert.equal(run.code, 0, run.stderr.slice(-3000));
      assert.equal(w.output().targetStatus.stats[0]?.['phase'], 'Succeeded');
      const gets = w.vault
        .requestLog()
        .filter((r) => r.method === 'GET' && r.path.startsWith('/v1/sys/storage/raft/snapshot'));
      assert.equal(gets.at(-1)?.node, 2);
      assert.equal(gets.at(-1)?.status, 200);
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
