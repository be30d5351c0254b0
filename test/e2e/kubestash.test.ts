// The KubeStash front end end to end: upstream Function args verbatim, the job's objects read through the
// real client under the shipped job RBAC, the shared core (verified stream, Raft object last, forget on
// failure, held-back restore upload, force restore with key migration), Snapshot and RestoreSession status
// validated by the emulator against the real CRDs (new and old resticStats shapes).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dump as dumpYaml, load as loadYaml } from 'js-yaml';
import { assertNoSecretsLeaked } from '../helpers/assertions.ts';
import { REPO_PATH, SESSION, setupKubeStash, type KubeStashWorld } from '../helpers/kubestash-world.ts';
import { SHARED } from '../helpers/paths.ts';
import {
  restic,
  resticVersions,
  snapshots,
  snapshotsIfRepository,
  type ResticVersion,
} from '../helpers/restic.ts';
import { NS, startWorld, type World } from '../helpers/world.ts';
import { loadManifests, bindServiceAccount } from '../emulators/kube/stash-rbac.ts';
import { isRaftBackup, lockFiles, waitForBytesRead, waitForStart } from '../helpers/restic-process.ts';

const RAFT = '/vault-raft.snap';
const GO_DURATION = /^(\d+h)?(\d+m)?\d+(\.\d+)?(s|ms)$/;
// A Raft snapshot of a few MiB, so faults can strike mid-stream.
const PADDED = { padStateBinBytes: 4 * 1024 * 1024, compressionLevel: 1 };
// restic 0.14 reports the short id in its summary, 0.17+ the full one; KubeStash records what restic says.
const ID = /^[0-9a-f]{8}([0-9a-f]{56})?$/;
const SIZE = /^(\d+ B|\d+\.\d{3} (KiB|MiB|GiB|TiB))$/;

type Comp = {
  path?: string;
  driver?: string;
  phase?: string;
  duration?: string;
  size?: string;
  integrity?: boolean;
  error?: string;
  resticStats?: Array<Record<string, unknown> & { summary?: Record<string, unknown> }>;
};

function dumpComponent(ks: KubeStashWorld, snapshot: string): Comp {
  const s = ks.snapshot(snapshot) as unknown as { status?: { components?: Record<string, Comp> } };
  return s.status?.components?.['dump'] ?? {};
}

function restoreComponent(ks: KubeStashWorld, name: string): Comp {
  const s = ks.restoreSessionObj(name) as unknown as { status?: { components?: Record<string, Comp> } };
  return s.status?.components?.['dump'] ?? {};
}

const recorded = (ids: string[], full: string): boolean => ids.some((id) => full.startsWith(id));

function idsOf(c: Comp): string[] {
  return (c.resticStats ?? []).map((r) => String(r.summary?.['id'] ?? r['id'] ?? ''));
}

// The Snapshot CRD as it was before apimachinery v0.28.0-rc.2: resticStats items flat.
function oldSnapshotCrdDir(): string {
  const file = join(SHARED, 'crds', 'kubestash', 'storage.kubestash.com_snapshots.yaml');
  const crd = loadYaml(readFileSync(file, 'utf8')) as {
    spec: { versions: Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }> };
  };
  const flat = {
    type: 'object',
    properties: Object.fromEntries(
      ['id', 'uploaded', 'hostPath', 'size']
        .map((k) => [k, { type: 'string' }])
        .concat(['startTime', 'endTime'].map((k) => [k, { type: 'string', format: 'date-time' }])),
    ),
  };
  const schema = crd.spec.versions[0]?.schema.openAPIV3Schema as {
    properties: {
      status: {
        properties: { components: { additionalProperties: { properties: Record<string, unknown> } } };
      };
    };
  };
  const comp = schema.properties.status.properties.components.additionalProperties.properties;
  assert.ok(
    (comp['resticStats'] as { items: { properties: Record<string, unknown> } }).items.properties['summary'],
  );
  comp['resticStats'] = { type: 'array', items: flat };
  const dir = mkdtempSync(join(tmpdir(), 'old-snapshot-crd-'));
  writeFileSync(join(dir, 'storage.kubestash.com_snapshots.yaml'), dumpYaml(crd));
  return dir;
}

for (const v of resticVersions()) {
  describe(`KubeStash front end, restic ${v.label}`, () => {
    let w: World;
    let ks: KubeStashWorld;
    let seq = 0;
    const nextSession = (): string => `vault-backup-${Date.now()}-${++seq}`;
    before(async () => {
      w = await startWorld({ restic: v, backend: 'local', vault: PADDED });
      ks = setupKubeStash(w);
    });
    after(() => w.close());

    test('backup: Snapshot status dump written (new resticStats shape), restic repository at the documented path', async () => {
      const session = nextSession();
      const {
        snapshots: [snap = ''],
      } = ks.newBackupSession(session);
      const run = await ks.backup(session);
      assert.equal(run.code, 0, run.stderr.slice(-3000));
      const c = dumpComponent(ks, snap);
      assert.equal(c.phase, 'Succeeded');
      assert.equal(c.driver, 'Restic');
      assert.equal(c.path, `repository/v1/${SESSION}/dump`);
      assert.match(String(c.duration), GO_DURATION);
      assert.match(String(c.size), SIZE);
      assert.equal(c.integrity, true);
      assert.equal(c.resticStats?.length, 2);
      for (const r of c.resticStats ?? []) {
        assert.equal(r['id'], undefined, 'the flat half is pruned by the new CRD');
        assert.match(String(r.summary?.['id']), ID);
        assert.match(String(r.summary?.['size']), SIZE);
        assert.match(String(r.summary?.['startTime']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      }
      // Plain restic at <mountPath>/<Repository.spec.path>/repository/v1/<session>/dump holds those ids.
      const list = snapshots(v, ks.resticRepository());
      const ids = idsOf(c);
      assert.deepEqual(
        list.filter((s) => recorded(ids, s.id)).map((s) => s.hostname),
        ['dump', 'dump'],
      );
      const raft = list.find((s) => recorded(ids, s.id) && s.paths.includes(RAFT));
      assert.ok(raft, 'the Raft object is one of the recorded ids');
      const archive = restic(v, ks.resticRepository(), ['dump', raft.id, RAFT, '--no-cache']);
      assert.equal(
        archive.subarray(0, 2).toString('hex'),
        '1f8b',
        'a gzip archive, readable by plain restic',
      );
      assertNoSecretsLeaked(w, run);
    });

    test('restore by Snapshot name into the same cluster: the data at backup time comes back', async () => {
      w.vault.setData('secret/app/db', 'at-backup');
      const session = nextSession();
      const {
        snapshots: [snap = ''],
      } = ks.newBackupSession(session);
      assert.equal((await ks.backup(session)).code, 0);
      w.vault.setData('secret/app/db', 'changed-later');
      ks.restoreSession('restore-by-name', { snapshot: snap });
      const before = w.vault.restoreLog().length;
      const run = await ks.restore('restore-by-name', { snapshot: snap });
      assert.equal(run.code, 0, run.stderr.slice(-3000));
      const c = restoreComponent(ks, 'restore-by-name');
      assert.equal(c.phase, 'Succeeded');
      assert.match(String(c.duration), GO_DURATION);
      assert.equal(w.vault.restoreLog().length, before + 1);
      assert.equal(w.vault.data()['secret/app/db'], 'at-backup');
      assertNoSecretsLeaked(w, run);
    });

    test('restore of `latest` picks the newest Succeeded Snapshot of the repository', async () => {
      w.vault.setData('secret/app/db', 'newest');
      const session = nextSession();
      const {
        snapshots: [snap = ''],
      } = ks.newBackupSession(session);
      assert.equal((await ks.backup(session)).code, 0);
      // The operator marks the Snapshot Succeeded once its metadata is uploaded.
      const obj = ks.snapshot(snap) as unknown as { status: Record<string, unknown> };
      obj.status['phase'] = 'Succeeded';
      obj.status['snapshotTime'] = '2099-01-01T00:00:00Z';
      w.kube.put(obj as never);
      w.vault.setData('secret/app/db', 'after');
      ks.restoreSession('restore-latest', { snapshot: 'latest' });
      const run = await ks.restore('restore-latest', { snapshot: '' });
      assert.equal(run.code, 0, run.stderr.slice(-3000));
      assert.ok(run.logs.some((l) => l['msg'] === 'resolved the latest Snapshot' && l['snapshot'] === snap));
      assert.equal(w.vault.data()['secret/app/db'], 'newest');
    });

    test('a truncated snapshot stream: Snapshot dump Failed with the cause, nothing stored, exit 1', async () => {
      const session = nextSession();
      const {
        snapshots: [snap = ''],
      } = ks.newBackupSession(session);
      const before = snapshotsIfRepository(v, ks.resticRepository()).length;
      w.vault.faults.truncateAfterBytes = 2_500_000;
      const run = await ks.backup(session);
      w.vault.clearFaults();
      assert.equal(run.code, 1, run.stderr.slice(-3000));
      const c = dumpComponent(ks, snap);
      assert.equal(c.phase, 'Failed');
      assert.match(String(c.error), /truncat|unexpected end|ended early/i);
      assert.equal(c.resticStats, undefined);
      assert.equal(
        snapshotsIfRepository(v, ks.resticRepository()).length,
        before,
        'the failed run forgot its objects',
      );
    });

    test('SIGTERM once restic has data: Snapshot dump Failed, exit 143 within 5 s, nothing stored, no lock', async () => {
      const session = nextSession();
      const {
        snapshots: [snap = ''],
      } = ks.newBackupSession(session);
      const before = snapshotsIfRepository(v, ks.resticRepository()).length;
      w.vault.faults.chunkDelayMs = 30;
      const startsFrom = w.shim.starts().length;
      let cliPid = 0;
      const running = ks.backup(session, {}, { onSpawn: (pid) => (cliPid = pid) });
      const raft = await waitForStart(w.shim, isRaftBackup, startsFrom);
      await waitForBytesRead(raft.pid, 2 * 1024 * 1024);
      const signalledAt = Date.now();
      process.kill(cliPid, 'SIGTERM');
      const run = await running;
      const seconds = (Date.now() - signalledAt) / 1000;
      w.vault.clearFaults();
      assert.equal(run.code, 143, run.stderr.slice(-2000));
      assert.ok(seconds < 5, `exited ${seconds.toFixed(1)} s after SIGTERM`);
      const c = dumpComponent(ks, snap);
      assert.equal(c.phase, 'Failed');
      assert.match(String(c.error), /cancelled by SIGTERM/);
      assert.equal(snapshotsIfRepository(v, ks.resticRepository()).length, before);
      assert.deepEqual(lockFiles(ks.resticRepository()), []);
    });

    test("the BackupSession's deadline passes during the run: Failed naming the deadline, nothing stored", async () => {
      const session = nextSession();
      const {
        snapshots: [snap = ''],
      } = ks.newBackupSession(session);
      const bs = w.kube.get('core.kubestash.com/v1alpha1', 'BackupSession', NS, session) as unknown as {
        status: Record<string, unknown>;
      };
      const deadline = new Date(Date.now() + 3000).toISOString().replace(/\.\d+Z$/, 'Z');
      bs.status['backupDeadline'] = deadline;
      w.kube.put(bs as never);
      const before = snapshotsIfRepository(v, ks.resticRepository()).length;
      w.vault.faults.chunkDelayMs = 100;
      const run = await ks.backup(session);
      w.vault.clearFaults();
      assert.equal(run.code, 1, run.stderr.slice(-2000));
      const c = dumpComponent(ks, snap);
      assert.equal(c.phase, 'Failed');
      assert.equal(c.error, `the deadline of BackupSession demo/${session} (${deadline}) has passed`);
      assert.equal(snapshotsIfRepository(v, ks.resticRepository()).length, before);
      assert.deepEqual(lockFiles(ks.resticRepository()), []);
    });

    test('a RestoreSession whose deadline has passed: Failed at once, Vault untouched', async () => {
      const session = nextSession();
      const {
        snapshots: [snap = ''],
      } = ks.newBackupSession(session);
      assert.equal((await ks.backup(session)).code, 0);
      ks.restoreSession('restore-late', { snapshot: snap });
      const rs = ks.restoreSessionObj('restore-late') as unknown as { status?: Record<string, unknown> };
      rs.status = { restoreDeadline: '2020-01-01T00:00:00Z' };
      w.kube.put(rs as never);
      const before = w.vault.restoreLog().length;
      const run = await ks.restore('restore-late', { snapshot: snap });
      assert.equal(run.code, 1);
      const c = restoreComponent(ks, 'restore-late');
      assert.equal(c.phase, 'Failed');
      assert.match(
        String(c.error),
        /deadline of RestoreSession demo\/restore-late \(2020-01-01T00:00:00Z\) has passed/,
      );
      assert.equal(w.vault.restoreLog().length, before);
    });

    test('a restore whose Snapshot id is not in the repository: Failed, Vault untouched', async () => {
      const session = nextSession();
      const {
        snapshots: [snap = ''],
      } = ks.newBackupSession(session);
      assert.equal((await ks.backup(session)).code, 0);
      const obj = ks.snapshot(snap) as unknown as { status: { components: { dump: Comp } } };
      for (const r of obj.status.components.dump.resticStats ?? []) {
        if (r.summary) r.summary['id'] = 'f'.repeat(64);
      }
      w.kube.put(obj as never);
      const data = w.vault.data();
      const before = w.vault.restoreLog().length;
      ks.restoreSession('restore-missing', { snapshot: snap });
      const run = await ks.restore('restore-missing', { snapshot: snap });
      assert.equal(run.code, 1);
      const c = restoreComponent(ks, 'restore-missing');
      assert.equal(c.phase, 'Failed');
      assert.match(String(c.error), /no snapshot with id "f{64}"/);
      assert.equal(w.vault.restoreLog().length, before, 'nothing reached Vault');
      assert.deepEqual(w.vault.data(), data);
    });

    test('two repositories in one session: each gets its own verified backup and Snapshot status', async () => {
      ks.addRepository('vault-repo-2', '/second/copy');
      const session = nextSession();
      const { snapshots: snaps } = ks.newBackupSession(session, ['vault-repo', 'vault-repo-2']);
      const run = await ks.backup(session);
      assert.equal(run.code, 0, run.stderr.slice(-3000));
      for (const [snap, path] of [
        [snaps[0] ?? '', REPO_PATH],
        [snaps[1] ?? '', '/second/copy'],
      ] as const) {
        const c = dumpComponent(ks, snap);
        assert.equal(c.phase, 'Succeeded', snap);
        const ids = idsOf(c);
        const list = snapshots(v, ks.resticRepository(SESSION, path));
        assert.ok(
          list.some((s) => recorded(ids, s.id) && s.paths.includes(RAFT)),
          `Raft object in ${path}`,
        );
      }
    });

    test('a Repository that does not exist: every Snapshot of the session Failed with the cause, nothing stored', async () => {
      const session = nextSession();
      const { snapshots: snaps } = ks.newBackupSession(session, ['vault-repo', 'no-such-repo']);
      const before = snapshotsIfRepository(v, ks.resticRepository()).length;
      const run = await ks.backup(session);
      assert.equal(run.code, 1);
      for (const snap of snaps) {
        const c = dumpComponent(ks, snap);
        assert.equal(c.phase, 'Failed', snap);
        assert.match(String(c.error), /Repository demo\/no-such-repo does not exist/);
        assert.equal(c.path, `repository/v1/${SESSION}/dump`);
      }
      assert.equal(snapshotsIfRepository(v, ks.resticRepository()).length, before);
    });

    test('a Vault whose storage is not Raft is refused with a clear error before anything is written', async () => {
      const ab = w.kube.get(
        'appcatalog.appscode.com/v1alpha1',
        'AppBinding',
        NS,
        w.appBindingName,
      ) as unknown as {
        spec: { parameters: { backend: string } };
      };
      const saved = structuredClone(ab);
      ab.spec.parameters.backend = 'postgresql';
      w.kube.put(ab as never);
      const session = nextSession();
      const {
        snapshots: [snap = ''],
      } = ks.newBackupSession(session);
      const before = snapshotsIfRepository(v, ks.resticRepository()).length;
      const run = await ks.backup(session);
      w.kube.put(saved as never);
      assert.equal(run.code, 1);
      const c = dumpComponent(ks, snap);
      assert.equal(c.phase, 'Failed');
      assert.match(String(c.error), /postgresql/);
      assert.match(String(c.error), /raft/i);
      assert.equal(snapshotsIfRepository(v, ks.resticRepository()).length, before);
    });

    test('force restore into a new cluster: the old keys move under the new prefix', async () => {
      const session = nextSession();
      const {
        snapshots: [snap = ''],
      } = ks.newBackupSession(session);
      assert.equal((await ks.backup(session)).code, 0);
      const newPrefix = 'k8s.kubevault.com.demo.vault2';
      const c2 = await w.addCluster('vault2', newPrefix);
      const newRoot = c2.rootToken;
      for (const obj of loadManifests(
        join(import.meta.dirname, '..', '..', 'deploy', 'kubestash-job-rbac.yaml'),
      )) {
        w.kube.put(obj);
      }
      bindServiceAccount(w.kube, {
        namespace: NS,
        serviceAccount: 'kubestash-vault-restore',
        clusterRole: 'stash-vault-kubestash-force-restore',
        name: 'kubestash-vault-restore-force',
      });
      ks.restoreSession('restore-force', {
        snapshot: snap,
        target: 'vault2',
        params: { force: 'true', keyPrefix: newPrefix, oldKeyPrefix: w.keyPrefix },
      });
      const run = await ks.restore('restore-force', {
        snapshot: snap,
        force: 'true',
        keyPrefix: newPrefix,
        oldKeyPrefix: w.keyPrefix,
      });
      assert.equal(run.code, 0, run.stderr.slice(-3000));
      assert.equal(restoreComponent(ks, 'restore-force').phase, 'Succeeded');
      const keys = w.kube.get('v1', 'Secret', NS, 'vault2-keys') as unknown as {
        data: Record<string, string>;
      };
      const text = (k: string): string => Buffer.from(keys.data[k] ?? '', 'base64').toString('utf8');
      assert.equal(text(`${newPrefix}-root-token`), w.vault.rootToken);
      w.vault.unsealKeys.forEach((k, i) => assert.equal(text(`${newPrefix}-unseal-key-${i}`), k));
      assert.equal(text('other'), 'keep-me');
      assert.notEqual(newRoot, w.vault.rootToken, 'the new cluster had keys of its own');
      assertNoSecretsLeaked(w, run);
    });
  });
}

// Before apimachinery v0.28.0-rc.2 the Snapshot CRD had flat resticStats: the same write keeps the flat
// half there, and a restore reads the id from it.
describe('KubeStash front end, Snapshot CRD with the old flat resticStats', () => {
  const v: ResticVersion | undefined = resticVersions().at(-1);
  let w: World;
  let ks: KubeStashWorld;
  before(async () => {
    assert.ok(v);
    w = await startWorld({
      restic: v,
      backend: 'local',
      vault: PADDED,
      crdOverrideDirs: [oldSnapshotCrdDir()],
    });
    ks = setupKubeStash(w);
  });
  after(() => w.close());

  test('backup writes the flat shape the old schema keeps; restore reads its ids', async () => {
    w.vault.setData('secret/app/db', 'old-shape');
    const {
      snapshots: [snap = ''],
    } = ks.newBackupSession('vault-backup-old');
    const run = await ks.backup('vault-backup-old');
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    const c = dumpComponent(ks, snap);
    assert.equal(c.resticStats?.length, 2);
    for (const r of c.resticStats ?? []) {
      assert.equal(r.summary, undefined, 'the old schema prunes summary');
      assert.match(String(r['id']), ID);
      assert.match(String(r['uploaded']), SIZE);
    }
    w.vault.setData('secret/app/db', 'changed');
    ks.restoreSession('restore-old', { snapshot: snap });
    const restored = await ks.restore('restore-old', { snapshot: snap });
    assert.equal(restored.code, 0, restored.stderr.slice(-3000));
    assert.equal(w.vault.data()['secret/app/db'], 'old-shape');
  });
});
