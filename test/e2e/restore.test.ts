// restore-vault end to end: same cluster, a new cluster with force and key migration, the Go addon's
// layout, backup selection, and faults that must leave the emulated Vault's data untouched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { restic, resticVersions, snapshots, TEST_PASSWORD } from '../helpers/restic.ts';
import { NS, startWorld, type World } from '../helpers/world.ts';
import { assertNoSecretsLeaked, assertRestoreOutput } from '../helpers/assertions.ts';
import { unseal } from '../helpers/vault-unseal.ts';

for (const v of resticVersions()) {
  describe(`restore-vault, restic ${v.label}`, () => {
    let w: World;
    let atBackup: Record<string, string>;
    before(async () => {
      w = await startWorld({ restic: v });
      const run = await w.backup();
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      atBackup = w.vault.data();
    });
    after(() => w.close());

    test('same cluster: the data afterwards equals the data at backup time', async () => {
      w.vault.setData('secret/app/db', 'changed-after-backup');
      w.vault.setData('secret/extra', 'new');
      const run = await w.restore({ RESTORE_SNAPSHOTS: 'latest' });
      assertRestoreOutput(w, run, 'Succeeded');
      assert.deepEqual(w.vault.data(), atBackup);
      assert.equal(w.vault.isSealed(), false);
      const posts = w.vault.restoreLog();
      assert.equal(posts.at(-1)?.force, false);
      assert.equal(posts.at(-1)?.node, w.vault.activeIndex());
      assertNoSecretsLeaked(w, run);
    });

    test('selection: by id, latest per source host, nothing matching', async () => {
      w.vault.setData('secret/app/db', 'host-1-version');
      const r1 = await w.backup({ HOSTNAME: 'host-1', BACKUP_SESSION: '' });
      assert.equal(r1.code, 0, r1.stderr.slice(-2000));
      const host1Data = w.vault.data();
      const list = snapshots(v, w.repository);
      const raftHost0 = list.find((s) => s.hostname === 'host-0' && s.paths.includes('/vault-raft.snap'));
      w.vault.setData('secret/app/db', 'scratch');
      // latest for host-0 is the first backup, although host-1's is newer.
      assertRestoreOutput(w, await w.restore({ SOURCE_HOSTNAME: 'host-0' }), 'Succeeded');
      assert.deepEqual(w.vault.data(), atBackup);
      assertRestoreOutput(w, await w.restore({ RESTORE_SNAPSHOTS: raftHost0?.short_id ?? '' }), 'Succeeded');
      assertRestoreOutput(w, await w.restore({ HOSTNAME: 'host-1' }), 'Succeeded');
      assert.deepEqual(w.vault.data(), host1Data);
      // An id of host-0's backup with --source-hostname host-1 is a contradiction, refused.
      const mismatch = await w.restore({
        RESTORE_SNAPSHOTS: raftHost0?.short_id ?? '',
        SOURCE_HOSTNAME: 'host-1',
      });
      assertRestoreOutput(
        w,
        mismatch,
        'Failed',
        /snapshot [0-9a-f]{8} is a backup of host "host-0", not of --source-hostname "host-1"/,
      );
      assert.deepEqual(w.vault.data(), host1Data, 'nothing was restored');
      const none = await w.restore({ SOURCE_HOSTNAME: 'host-9' });
      assertRestoreOutput(
        w,
        none,
        'Failed',
        /no Vault backup for host "host-9"; the repository holds \d+ snapshot\(s\): .*host=host-0/,
      );
      const badId = await w.restore({ RESTORE_SNAPSHOTS: 'deadbeef' });
      assertRestoreOutput(w, badId, 'Failed', /no snapshot with id "deadbeef"/);
      const both = await w.restore({});
      assertRestoreOutput(
        w,
        both,
        'Failed',
        /several hosts \(host-0, host-1\)|several hosts \(host-1, host-0\)/,
      );
      assert.deepEqual(w.vault.data(), host1Data);
    });
  });
}

const [v0] = resticVersions();
if (v0 !== undefined) {
  describe(`restore-vault into a new cluster and from old layouts (restic ${v0.label})`, () => {
    let w: World;
    before(async () => {
      w = await startWorld({ restic: v0 });
      w.grantForceRestoreRbac();
      const run = await w.backup();
      assert.equal(run.code, 0, run.stderr.slice(-2000));
    });
    after(() => w.close());

    test('new cluster: refused without force; with force the old keys move under the new prefix and unseal it', async () => {
      const b = await w.addCluster('vault-b', 'k8s.new.demo.vault-b');
      const bData = b.data();
      const refused = await w.restore({ TARGET_NAME: 'vault-b', keyPrefix: 'k8s.new.demo.vault-b' });
      assertRestoreOutput(w, refused, 'Failed', /different cluster.*force=true/);
      assert.deepEqual(b.data(), bData);

      const oldRoot = w.vault.rootToken;
      const oldKeys = [...w.vault.unsealKeys];
      const run = await w.restore({
        TARGET_NAME: 'vault-b',
        keyPrefix: 'k8s.new.demo.vault-b',
        force: 'true',
        oldKeyPrefix: w.keyPrefix,
      });
      assertRestoreOutput(w, run, 'Succeeded');
      assert.ok(run.logs.some((l) => String(l['msg']).includes("waits for the old cluster's unseal keys")));
      const secret = w.kube.get('v1', 'Secret', NS, 'vault-b-keys') as unknown as {
        data: Record<string, string>;
      };
      const dec = (k: string) => Buffer.from(secret.data[k] ?? '', 'base64').toString('utf8');
      assert.equal(dec('k8s.new.demo.vault-b-root-token'), oldRoot);
      oldKeys.forEach((k, i) => assert.equal(dec(`k8s.new.demo.vault-b-unseal-key-${i}`), k));
      assert.equal(dec('other'), 'keep-me', 'other keys of the Secret are kept');
      assert.equal(b.isSealed(), true);
      const keysFromSecret = oldKeys.map((_, i) => dec(`k8s.new.demo.vault-b-unseal-key-${i}`));
      assert.equal(await unseal(b.nodes[b.activeIndex()]?.url ?? '', w.pki.caPem, keysFromSecret), true);
      assert.deepEqual(b.data(), w.vault.data());
      assertNoSecretsLeaked(w, run);
    });

    test("the Go addon's layout: a directory snapshot with backup.snap and JSON-quoted keys", async () => {
      const archive = w.vault.lastServedArchive();
      assert.ok(archive);
      const dir = join(
        mkdtempSync(join(tmpdir(), 'go-layout-')),
        'stash-tmp',
        'stash-interim-volume',
        'data',
      );
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'backup.snap'), archive);
      writeFileSync(join(dir, `${w.keyPrefix}-root-token`), JSON.stringify(w.vault.rootToken));
      w.vault.unsealKeys.forEach((k, i) =>
        writeFileSync(join(dir, `${w.keyPrefix}-unseal-key-${i}`), JSON.stringify(k)),
      );
      restic(v0, w.repository, ['backup', dir, '--host', 'go-host', '--no-cache']);
      const goSnap = snapshots(v0, w.repository).find((s) => s.hostname === 'go-host');
      const expected = w.vault.data();
      w.vault.setData('secret/app/db', 'drifted');
      const run = await w.restore({ RESTORE_SNAPSHOTS: goSnap?.id ?? '' });
      assertRestoreOutput(w, run, 'Succeeded');
      assert.deepEqual(w.vault.data(), expected);
      // And into a new cluster with force, reading the JSON-quoted key files.
      const c = await w.addCluster('vault-c', 'k8s.c.demo.vault-c');
      const forced = await w.restore({
        TARGET_NAME: 'vault-c',
        keyPrefix: 'k8s.c.demo.vault-c',
        force: 'true',
        oldKeyPrefix: w.keyPrefix,
        SOURCE_HOSTNAME: 'go-host',
      });
      assertRestoreOutput(w, forced, 'Succeeded');
      const secret = w.kube.get('v1', 'Secret', NS, 'vault-c-keys') as unknown as {
        data: Record<string, string>;
      };
      assert.equal(
        Buffer.from(secret.data['k8s.c.demo.vault-c-unseal-key-0'] ?? '', 'base64').toString(),
        w.vault.unsealKeys[0],
      );
      assert.equal(c.isSealed(), true);
    });

    test('force with missing old keys fails before Vault is touched', async () => {
      const d = await w.addCluster('vault-d', 'k8s.d.demo.vault-d');
      const dData = d.data();
      const run = await w.restore({
        TARGET_NAME: 'vault-d',
        keyPrefix: 'k8s.d.demo.vault-d',
        force: 'true',
        oldKeyPrefix: 'k8s.wrong.prefix',
        SOURCE_HOSTNAME: 'host-0',
      });
      assertRestoreOutput(w, run, 'Failed', /has no k8s\.wrong\.prefix-root-token/);
      assert.deepEqual(d.data(), dData);
      assert.equal(d.restoreLog().length, 0);
    });
  });

  describe(`restore-vault faults leave Vault untouched (restic ${v0.label})`, () => {
    let w: World;
    let data: Record<string, string>;
    before(async () => {
      w = await startWorld({ restic: v0, vault: { padStateBinBytes: 3 * 1024 * 1024, compressionLevel: 1 } });
      const run = await w.backup();
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      w.vault.setData('secret/app/db', 'current-value');
      data = w.vault.data();
    });
    after(() => w.close());

    test('restic dump dies mid-stream: the upload is aborted', async () => {
      const from = w.vault.restoreLog().length;
      const run = await w.restore({}, { env: { RESTIC_SHIM_FAIL_DUMP_AFTER: '1000000' } });
      assertRestoreOutput(
        w,
        run,
        'Failed',
        /restic dump: .*simulated dump failure|not a complete gzip stream|truncated/,
      );
      // Vault applies a snapshot only after answering 204, before the client sees it: no 204, no apply.
      assert.ok(
        w.vault
          .restoreLog()
          .slice(from)
          .every((r) => r.status !== 204),
        'Vault never accepted it',
      );
      assert.deepEqual(w.vault.data(), data);
      assert.equal(w.vault.isSealed(), false);
    });

    test('a corrupted backup is never completed to Vault', async () => {
      const archive = Buffer.from(w.vault.lastServedArchive() ?? Buffer.alloc(0));
      const mid = Math.floor(archive.length / 2);
      archive[mid] = (archive[mid] ?? 0) ^ 0xff;
      const tagged = ['--tag', 'stash-vault-run=corrupt-1', '--tag', 'stash-vault-object=raft-snapshot'];
      execFileSync(
        v0.bin,
        [
          'backup',
          '--stdin',
          '--stdin-filename',
          'vault-raft.snap',
          '--host',
          'host-0',
          '--no-cache',
          ...tagged,
        ],
        {
          input: archive,
          env: { ...process.env, RESTIC_REPOSITORY: w.repository, RESTIC_PASSWORD: TEST_PASSWORD },
        },
      );
      const corrupt = snapshots(v0, w.repository).find((s) => s.tags?.includes('stash-vault-run=corrupt-1'));
      const run = await w.restore({ RESTORE_SNAPSHOTS: corrupt?.id ?? '' });
      // No lock of the stopped restic dump may remain: forget needs an exclusive lock.
      restic(v0, w.repository, ['forget', '--no-cache', corrupt?.id ?? '']);
      assertRestoreOutput(w, run, 'Failed', /gzip|hash check failed|corrupt|tar|answered 500/);
      assert.deepEqual(w.vault.data(), data);
      assert.equal(
        w.vault.restoreLog().every((r) => r.status !== 204),
        true,
      );
    });

    test('Vault 403: a token without update on the snapshot path', async () => {
      const tok = w.vault.createToken({ 'sys/storage/raft/snapshot': ['read'] });
      w.kube.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'vault-backup-token', namespace: NS },
        data: { token: Buffer.from(tok).toString('base64') },
      });
      const run = await w.restore({});
      w.kube.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'vault-backup-token', namespace: NS },
        data: { token: Buffer.from(w.backupToken).toString('base64') },
      });
      assertRestoreOutput(
        w,
        run,
        'Failed',
        /lacks the "update" capability on sys\/storage\/raft\/snapshot \(it has: read\)/,
      );
      assert.deepEqual(w.vault.data(), data);
      assertNoSecretsLeaked(w, run, [tok]);
    });

    test('Vault 503 (sealed): waits, then fails without uploading', async () => {
      const before = w.vault.restoreLog().length;
      w.vault.seal();
      const run = await w.restore({ waitTimeout: '2' });
      assertRestoreOutput(w, run, 'Failed', /not ready.*last state: sealed/);
      assert.equal(w.vault.restoreLog().length, before);
      assert.equal(
        await unseal(w.vault.nodes[w.vault.activeIndex()]?.url ?? '', w.pki.caPem, w.vault.unsealKeys),
        true,
      );
      assert.deepEqual(w.vault.data(), data);
    });

    test('the upload never rides a kept-alive connection the server may close as it arrives', async () => {
      // The reuse race behind the rare "other side closed": a request sent on a pooled connection just as
      // the server closes it. Retrying a GET would do; a streamed upload cannot be sent twice.
      w.vault.faults.closeReusedOnUpload = true;
      const from = w.vault.restoreLog().length;
      const run = await w.restore({});
      w.vault.clearFaults();
      assertRestoreOutput(w, run, 'Succeeded');
      assert.deepEqual(
        w.vault
          .restoreLog()
          .slice(from)
          .map((r) => r.status),
        [204],
      );
    });

    test('a standby as the service answer: the body goes to the active node only', async () => {
      const ab = w.kube.get('appcatalog.appscode.com/v1alpha1', 'AppBinding', NS, 'vault') as unknown as {
        spec: { clientConfig: { url: string } };
      };
      const standby = w.vault.nodes.findIndex((_, i) => i !== w.vault.activeIndex());
      ab.spec.clientConfig.url = w.vault.nodes[standby]?.url ?? '';
      w.kube.put(ab as never);
      const run = await w.restore({});
      assertRestoreOutput(w, run, 'Succeeded');
      assert.ok(
        w.vault.restoreLog().every((r) => r.node === w.vault.activeIndex()),
        'no POST reached a standby',
      );
    });
  });
}
