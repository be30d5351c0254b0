// Backup and force restore end to end with the unseal keys in each cloud store (AWS KMS + SSM,
// Google KMS + GCS, Azure Key Vault), reached through the real SDKs against loopback emulators.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { secret } from '../emulators/kube/fixtures.ts';
import type { CloudKeyFixture } from '../emulators/cloud/fixture.ts';
import { startAwsFixture } from '../emulators/aws/fixture.ts';
import { startGoogleFixture } from '../emulators/google/fixture.ts';
import { startAzureFixture } from '../emulators/azure/fixture.ts';
import { resticVersions } from '../helpers/restic.ts';
import { assertStoredBackup } from '../helpers/stored-backup.ts';
import { credentialSecretOf, NS, startWorld, type World } from '../helpers/world.ts';
import {
  assertFailedOutput,
  assertNoSecretsLeaked,
  assertRestoreOutput,
  assertSucceededOutput,
} from '../helpers/assertions.ts';
import { unseal } from '../helpers/vault-unseal.ts';
import type { CliRun } from '../helpers/run-cli.ts';

const MODES: Array<[string, () => Promise<CloudKeyFixture>]> = [
  ['awsKmsSsm', startAwsFixture],
  ['googleKmsGcs', startGoogleFixture],
  ['azureKeyVault', startAzureFixture],
];
// One restic suffices here: the key stores do not depend on restic's version. resticVersions() fails
// under CI=true when one is missing, so the skip below can only happen on a developer's machine.
const v = resticVersions().at(-1);

function useCredentials(w: World, cloud: CloudKeyFixture, data: Record<string, string>): void {
  w.kube.put(secret({ name: credentialSecretOf(cloud), namespace: NS, data }));
}

function assertCloudSecretsKept(w: World, cloud: CloudKeyFixture, run: CliRun): void {
  assertNoSecretsLeaked(w, run);
  const env = w.shim.environments();
  assert.ok(env.includes('RESTIC_'), 'the restic environment was recorded');
  for (const s of cloud.secretValues()) assert.ok(!env.includes(s), 'a cloud credential reached restic');
}

for (const [mode, start] of MODES) {
  describe(`${mode} unsealer store end to end`, { skip: v === undefined && 'restic missing' }, () => {
    let cloud: CloudKeyFixture;
    let w: World;
    const rejected = new RegExp(`${mode}[^]*(rejected|denied)`, 'i');
    before(async () => {
      cloud = await start();
      w = await startWorld({ restic: v!, unsealer: cloud });
    });
    after(async () => {
      await w.close();
      await cloud.close();
    });

    test('a wrong credential fails the backup before anything is written', async () => {
      useCredentials(w, cloud, cloud.wrongCredentialSecretData);
      try {
        const writes = cloud.writes();
        const run = await w.backup();
        assertFailedOutput(w, run, rejected, 0);
        assert.equal(cloud.writes(), writes, 'nothing written to the store');
        assertCloudSecretsKept(w, cloud, run);
      } finally {
        useCredentials(w, cloud, cloud.credentialSecretData);
      }
    });

    test('backup reads the root token and every unseal key from the store', async () => {
      w.newBackupSession('vault-backup-2');
      const run = await w.backup({ BACKUP_SESSION: 'vault-backup-2' });
      assert.equal(run.code, 0, run.stderr.slice(-3000));
      assertSucceededOutput(w, 2);
      const names = [
        `${w.keyPrefix}-root-token`,
        ...w.vault.unsealKeys.map((_, i) => `${w.keyPrefix}-unseal-key-${i}`),
      ];
      // What the backup holds is what the store holds, byte for byte.
      const inStore = new Map<string, Buffer>();
      for (const name of names) inStore.set(name, (await cloud.read(name)) ?? Buffer.alloc(0));
      assert.equal(inStore.get(names[0] ?? '')?.toString('utf8'), w.vault.rootToken);
      assertStoredBackup(w, inStore);
      assertCloudSecretsKept(w, cloud, run);
    });

    test('force restore into a store that refuses writes: proven before any byte reaches Vault', async () => {
      const newPrefix = 'k8s.ro.demo.vault-ro';
      const b = await w.addCluster('vault-ro', newPrefix);
      const before = b.data();
      cloud.faults.refuseWrites = true;
      try {
        const run = await w.restore({
          TARGET_NAME: 'vault-ro',
          keyPrefix: newPrefix,
          force: 'true',
          oldKeyPrefix: w.keyPrefix,
        });
        assertRestoreOutput(
          w,
          run,
          'Failed',
          new RegExp(`${mode}[^]*(denied|refuse|403|Forbidden|not allowed)`, 'i'),
        );
        assert.equal(b.restoreLog().length, 0, 'no snapshot was uploaded');
        assert.deepEqual(b.data(), before);
        assertCloudSecretsKept(w, cloud, run);
      } finally {
        cloud.faults.refuseWrites = false;
      }
      assert.equal(
        (await cloud.read(`${newPrefix}-root-token`))?.toString('utf8'),
        b.rootToken,
        'the store is as it was',
      );
    });

    test('force restore into a new cluster: a wrong credential leaves Vault untouched, then the keys move', async () => {
      const newPrefix = 'k8s.new.demo.vault-b';
      const b = await w.addCluster('vault-b', newPrefix);
      const bData = b.data();
      const args = { TARGET_NAME: 'vault-b', keyPrefix: newPrefix, force: 'true', oldKeyPrefix: w.keyPrefix };

      useCredentials(w, cloud, cloud.wrongCredentialSecretData);
      const writes = cloud.writes();
      const refused = await w.restore(args);
      assertRestoreOutput(w, refused, 'Failed', rejected);
      assert.equal(b.restoreLog().length, 0, 'no snapshot was uploaded');
      assert.deepEqual(b.data(), bData);
      assert.equal(cloud.writes(), writes, 'nothing written to the store');
      assert.equal((await cloud.read(`${newPrefix}-root-token`))?.toString('utf8'), b.rootToken);

      useCredentials(w, cloud, cloud.credentialSecretData);
      const run = await w.restore(args);
      assertRestoreOutput(w, run, 'Succeeded');
      const moved = [];
      for (let i = 0; i < w.vault.unsealKeys.length; i++) {
        moved.push((await cloud.read(`${newPrefix}-unseal-key-${i}`))?.toString('utf8') ?? '');
      }
      assert.deepEqual(moved, w.vault.unsealKeys);
      assert.equal((await cloud.read(`${newPrefix}-root-token`))?.toString('utf8'), w.vault.rootToken);
      assert.equal(b.isSealed(), true);
      assert.equal(await unseal(b.nodes[b.activeIndex()]?.url ?? '', w.pki.caPem, moved), true);
      assert.deepEqual(b.data(), w.vault.data());
      assertCloudSecretsKept(w, cloud, run);
    });

    test('keys that are not UTF-8 survive backup and the move to a new prefix byte for byte', async () => {
      const odd = (i: number): Buffer => Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x80 + i, 0x0a]);
      const names = [
        `${w.keyPrefix}-root-token`,
        ...w.vault.unsealKeys.map((_, i) => `${w.keyPrefix}-unseal-key-${i}`),
      ];
      const saved = new Map<string, Buffer>();
      for (const [i, n] of names.entries()) {
        saved.set(n, (await cloud.read(n)) ?? Buffer.alloc(0));
        await cloud.seed(n, odd(i));
      }
      try {
        const run = await w.backup({ BACKUP_SESSION: '' });
        assert.equal(run.code, 0, run.stderr.slice(-2000));
        assertStoredBackup(w, new Map(names.map((n, i) => [n, odd(i)])));
        const newPrefix = 'k8s.bytes.demo.vault-bytes';
        await w.addCluster('vault-bytes', newPrefix);
        const restored = await w.restore({
          TARGET_NAME: 'vault-bytes',
          keyPrefix: newPrefix,
          force: 'true',
          oldKeyPrefix: w.keyPrefix,
        });
        assertRestoreOutput(w, restored, 'Succeeded');
        for (const [i, n] of names.entries()) {
          const moved = await cloud.read(n.replace(w.keyPrefix, newPrefix));
          assert.ok(moved?.equals(odd(i)), `${n} moved as ${moved?.toString('hex')}`);
        }
      } finally {
        for (const [n, value] of saved) await cloud.seed(n, value);
      }
    });
  });
}
