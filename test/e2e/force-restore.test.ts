// Force restores that never strand a cluster: the new keys' store is proven writable before any byte
// reaches Vault (Stash's stock restore role cannot write Secrets; a key prefix the store cannot hold);
// when storing still fails after Vault accepted the snapshot, the error gives the exact restic commands
// that recover the keys, and they work. The keys move as the backup recorded them, as bytes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { restic, resticVersions } from '../helpers/restic.ts';
import { NS, RESTORE_SA, startWorld, type World } from '../helpers/world.ts';
import { assertNoSecretsLeaked, assertRestoreOutput } from '../helpers/assertions.ts';
import { unseal } from '../helpers/vault-unseal.ts';

const v = resticVersions()[0];

function secretData(w: World, name: string): Record<string, Buffer> {
  const s = w.kube.get('v1', 'Secret', NS, name) as unknown as { data?: Record<string, string> };
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, b64]) => [k, Buffer.from(b64, 'base64')]));
}

if (v !== undefined) {
  describe(`force restore into a new cluster (restic ${v.label})`, () => {
    let w: World;
    before(async () => {
      w = await startWorld({ restic: v });
      const run = await w.backup();
      assert.equal(run.code, 0, run.stderr.slice(-2000));
    });
    after(() => w.close());

    test("Stash's stock restore role cannot write the keys: refused by a dry-run before Vault is touched", async () => {
      const b = await w.addCluster('vault-s', 'k8s.s.demo.vault-s');
      const before = b.data();
      const run = await w.restore({ TARGET_NAME: 'vault-s', keyPrefix: 'k8s.s.demo.vault-s', force: 'true' });
      assertRestoreOutput(
        w,
        run,
        'Failed',
        /kubernetesSecret demo\/vault-s-keys would refuse the keys \(server-side dry-run of patch\): .*403 Forbidden: secrets "vault-s-keys" is forbidden: User "system:serviceaccount:demo:restoresession-vault-restore-0" cannot patch/,
      );
      assert.equal(b.restoreLog().length, 0, 'no snapshot was uploaded');
      assert.deepEqual(b.data(), before);
      const writes = w.kube
        .requests()
        .filter((r) => r.method === 'PATCH' && r.path.includes('/secrets/vault-s-keys'));
      assert.ok(writes.length > 0 && writes.every((r) => r.dryRun === true), 'only a dry-run was tried');
      assert.equal(writes[0]?.user, `system:serviceaccount:${NS}:${RESTORE_SA}`);
    });

    test('a key prefix the Secret cannot hold is refused up front, naming the key', async () => {
      w.grantForceRestoreRbac();
      const b = await w.addCluster('vault-p', 'k8s.p.demo.vault-p');
      const run = await w.restore({ TARGET_NAME: 'vault-p', keyPrefix: 'bad/prefix', force: 'true' });
      assertRestoreOutput(
        w,
        run,
        'Failed',
        /cannot hold these key names: bad\/prefix-root-token: a Secret key may only hold/,
      );
      assert.equal(b.restoreLog().length, 0);
    });

    test('storing fails after Vault accepted: retried, then the error gives restic commands that recover the keys', async () => {
      w.grantForceRestoreRbac();
      const b = await w.addCluster('vault-f', 'k8s.f.demo.vault-f');
      // Every real (not dry-run) write of the keys Secret fails from now on.
      w.kube.onRequest((method, path) => {
        if (method === 'PATCH' && path.includes('/secrets/vault-f-keys') && !path.includes('dryRun'))
          w.kube.failNext({
            method: 'PATCH',
            pathIncludes: '/secrets/vault-f-keys',
            status: 403,
            reason: 'Forbidden',
          });
      });
      const run = await w.restore({ TARGET_NAME: 'vault-f', keyPrefix: 'k8s.f.demo.vault-f', force: 'true' });
      assertRestoreOutput(
        w,
        run,
        'Failed',
        /Vault accepted the snapshot and is now sealed with the backup's unseal keys, but storing them in kubernetesSecret demo\/vault-f-keys failed after 4 attempts/,
      );
      assert.ok(
        b.restoreLog().some((r) => r.status === 204),
        'Vault accepted the snapshot',
      );
      assert.equal(b.isSealed(), true);
      const error = String(w.output().targetStatus.stats[0]?.['error']);
      // Follow the instructions: each command prints one key; the unseal keys unseal the cluster.
      const steps = [...error.matchAll(/restic -r (\S+) dump ([0-9a-f]+) (\S+) → ([^\s;]+)/g)];
      assert.equal(steps.length, w.vault.unsealKeys.length + 1, error);
      const recovered = new Map(
        steps.map((m) => [
          m[4] ?? '',
          restic(v, w.repository, ['dump', m[2] ?? '', m[3] ?? '', '--no-cache']).toString('utf8'),
        ]),
      );
      assert.equal(recovered.get('k8s.f.demo.vault-f-root-token'), w.vault.rootToken);
      const keys = w.vault.unsealKeys.map(
        (_, i) => recovered.get(`k8s.f.demo.vault-f-unseal-key-${i}`) ?? '',
      );
      assert.deepEqual(keys, w.vault.unsealKeys);
      assert.equal(await unseal(b.nodes[b.activeIndex()]?.url ?? '', w.pki.caPem, keys), true);
      assertNoSecretsLeaked(w, run);
    });

    test("a failing key dump fails with restic's own error, and Vault never gets the whole snapshot", async () => {
      w.grantForceRestoreRbac();
      const d = await w.addCluster('vault-d', 'k8s.d.demo.vault-d');
      const before = d.data();
      const run = await w.restore(
        { TARGET_NAME: 'vault-d', keyPrefix: 'k8s.d.demo.vault-d', force: 'true' },
        { env: { RESTIC_SHIM_FAIL_KEY_DUMP: '1' } },
      );
      assertRestoreOutput(
        w,
        run,
        'Failed',
        /restic dump: restic failed \(exit code 1\): Fatal: simulated key dump failure/,
      );
      assert.ok(
        d.restoreLog().every((r) => r.status !== 204),
        'Vault never accepted a snapshot',
      );
      assert.deepEqual(d.data(), before);
      assert.equal(d.isSealed(), false);
    });

    test("the keys the backup recorded move, whatever the target's AppBinding says; the old prefix is inferred", async () => {
      w.grantForceRestoreRbac();
      const c = await w.addCluster('vault-one', 'k8s.one.demo.vault-one');
      // The target's AppBinding claims one share; the backup holds five unseal keys.
      const ab = w.kube.get('appcatalog.appscode.com/v1alpha1', 'AppBinding', NS, 'vault-one') as unknown as {
        spec: { parameters: { unsealer: { secretShares: number } } };
      };
      ab.spec.parameters.unsealer.secretShares = 1;
      w.kube.put(ab as never);
      const run = await w.restore({
        TARGET_NAME: 'vault-one',
        keyPrefix: 'k8s.one.demo.vault-one',
        force: 'true',
        oldKeyPrefix: '',
      });
      assertRestoreOutput(w, run, 'Succeeded');
      assert.ok(
        run.logs.some((l) => l['oldPrefix'] === w.keyPrefix),
        'the old prefix was read from the backup',
      );
      const data = secretData(w, 'vault-one-keys');
      w.vault.unsealKeys.forEach((k, i) =>
        assert.equal(data[`k8s.one.demo.vault-one-unseal-key-${i}`]?.toString(), k),
      );
      assert.equal(await unseal(c.nodes[c.activeIndex()]?.url ?? '', w.pki.caPem, w.vault.unsealKeys), true);
    });
  });

  for (const layout of ['key files on tmpfs', 'one object per key'] as const) {
    describe(`keys are bytes: ${layout} (restic ${v.label})`, () => {
      let w: World;
      // Not UTF-8, with a final newline: decoding or trimming anywhere changes them.
      const odd = (i: number): Buffer => Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x80 + i, 0x0a]);
      const env = layout === 'one object per key' ? { STASH_VAULT_KEYS_TMPFS: '/nonexistent' } : {};
      before(async () => {
        w = await startWorld({ restic: v });
        w.grantForceRestoreRbac();
      });
      after(() => w.close());

      test('they survive backup, a force restore and the move to the new prefix byte for byte', async () => {
        const names = [
          `${w.keyPrefix}-root-token`,
          ...w.vault.unsealKeys.map((_, i) => `${w.keyPrefix}-unseal-key-${i}`),
        ];
        const keys = w.kube.get('v1', 'Secret', NS, 'vault-keys') as unknown as {
          data: Record<string, string>;
        };
        names.forEach((n, i) => (keys.data[n] = odd(i).toString('base64')));
        w.kube.put(keys as never);
        const run = await w.backup({}, { env });
        assert.equal(run.code, 0, run.stderr.slice(-2000));
        assert.equal(
          w.output().targetStatus.stats[0]?.['phase'],
          'Succeeded',
          String(w.output().targetStatus.stats[0]?.['error']),
        );
        const { assertStoredBackup } = await import('../helpers/stored-backup.ts');
        const stored = assertStoredBackup(w, new Map(names.map((n, i) => [n, odd(i)])));
        assert.equal(stored.layout, layout === 'one object per key' ? 'key-objects' : 'key-files');
        await w.addCluster('vault-z', 'k8s.z.demo.vault-z');
        const restored = await w.restore(
          {
            TARGET_NAME: 'vault-z',
            keyPrefix: 'k8s.z.demo.vault-z',
            force: 'true',
            oldKeyPrefix: w.keyPrefix,
          },
          { env },
        );
        assertRestoreOutput(w, restored, 'Succeeded');
        const data = secretData(w, 'vault-z-keys');
        names.forEach((n, i) => {
          const moved = data[n.replace(w.keyPrefix, 'k8s.z.demo.vault-z')];
          assert.ok(
            moved?.equals(odd(i)),
            `${n}: ${moved?.toString('hex')} is not ${odd(i).toString('hex')}`,
          );
        });
      });
    });
  }
}
