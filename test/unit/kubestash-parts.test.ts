// The KubeStash front end's pure parts: the upstream Functions' args as KubeStash expands them, the restic
// location each BackupStorage kind gives (kubestash-contract §4.1 worked examples), the status values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { UsageError } from '../../src/errors.ts';
import { parseKubeStashArgs } from '../../src/kubestash/parse-args.ts';
import { componentPath, resticLocation, resticSecrets } from '../../src/kubestash/repository.ts';
import { kubeTime, resticStatsItem } from '../../src/kubestash/status.ts';
import { repositorySetup } from '../../src/restic/repository.ts';
import { commonFlags } from '../../src/restic/args.ts';
import { KS_CATALOG } from '../helpers/kubestash-world.ts';
import { expandStash } from '../helpers/expand.ts';

function upstream(file: string, inputs: Record<string, string>): string[] {
  const fn = loadYaml(readFileSync(join(KS_CATALOG, file), 'utf8')) as { spec: { args: string[] } };
  return fn.spec.args.map((a) => expandStash(a, inputs));
}

test('backup: upstream args with every variable absent take the Function defaults', () => {
  const args = upstream('vault-backup-function.yaml', { backupSession: 'frequent-backup-1' });
  const { config, warnings } = parseKubeStashArgs(args);
  assert.deepEqual(warnings, []);
  assert.equal(config.command, 'backup');
  if (config.command !== 'backup') return;
  assert.equal(config.namespace, 'default');
  assert.equal(config.backupSession, 'frequent-backup-1');
  assert.equal(config.scratchDir, '/kubestash-tmp');
  assert.equal(config.enableCache, false);
  assert.equal(config.interimDataDir, '/kubestash-interim');
  assert.equal(config.waitTimeoutMs, 300_000);
  assert.equal(config.keyPrefix, '');
});

test('restore: variables present but empty (--force=, --key-prefix=, --wait-timeout=) mean the defaults', () => {
  const inputs = {
    namespace: 'demo',
    restoreSession: 'r',
    snapshot: 's',
    scratchDir: '',
    enableCache: '',
    interimDataDir: '',
    waitTimeout: '',
    vaultArgs: '',
    force: '',
    keyPrefix: '',
    oldKeyPrefix: '',
  };
  const args = upstream('vault-restore-function.yaml', inputs);
  assert.ok(args.includes('--force='), 'envsubst leaves the empty value');
  const { config } = parseKubeStashArgs(args);
  assert.equal(config.command, 'restore');
  if (config.command !== 'restore') return;
  assert.equal(config.force, false);
  assert.equal(config.waitTimeoutMs, 300_000);
  assert.equal(config.snapshot, 's');
  assert.equal(config.scratchDir, '/kubestash-tmp');
});

test('restore: force "true", prefixes and a vault-args client timeout are taken', () => {
  const args = upstream('vault-restore-function.yaml', {
    namespace: 'demo',
    restoreSession: 'r',
    snapshot: 'latest',
    force: 'true',
    keyPrefix: 'new',
    oldKeyPrefix: 'old',
    vaultArgs: '-client-timeout=90s',
    waitTimeout: '30',
  });
  const { config } = parseKubeStashArgs(args);
  if (config.command !== 'restore') return assert.fail('restore expected');
  assert.equal(config.force, true);
  assert.equal(config.keyPrefix, 'new');
  assert.equal(config.oldKeyPrefix, 'old');
  assert.equal(config.vaultClientTimeoutMs, 90_000);
  assert.equal(config.waitTimeoutMs, 30_000);
});

test('a missing session name and a bad boolean are usage errors, reported together', () => {
  assert.throws(
    () => parseKubeStashArgs(['restore', '--restoresession=', '--force=maybe']),
    (err: unknown) =>
      err instanceof UsageError &&
      err.problems.includes('--restoresession is required') &&
      err.problems.some((p) => p.includes('--force must be true or false')),
  );
  assert.throws(() => parseKubeStashArgs(['backup']), /--backupsession is required/);
});

const DIR = 'vault/data/backup/repository/v1/frequent-backup/dump';
const OPTS = { scratchDir: '/kubestash-tmp', enableCache: false, storageNamespace: 'stash' };
const PASSWORD = { RESTIC_PASSWORD: Buffer.from('pw') };

function url(
  storage: Parameters<typeof resticLocation>[0],
  dir = `/${DIR}`,
): { repository: string; env: Record<string, string>; flags: string[] } {
  const loc = resticLocation(storage, dir, OPTS);
  const setup = repositorySetup(loc.config, resticSecrets({}, PASSWORD, 'demo/enc', loc.fromStorage));
  const flags = commonFlags({
    cacheDir: undefined,
    caCertPath: undefined,
    insecureTls: loc.config.insecureTls,
    provider: loc.config.provider,
    maxConnections: loc.config.maxConnections,
  });
  return { repository: setup.repository, env: setup.env, flags };
}

test('component path: repository/v1/<session>/dump', () => {
  assert.equal(componentPath('v1', 'frequent-backup', 'dump'), 'repository/v1/frequent-backup/dump');
});

test('s3: the KubeVault guide example, region exported, maxConnections ignored as the wrapper does', () => {
  const r = url({
    s3: {
      endpoint: 'https://s3.us-east-2.amazonaws.com',
      bucket: 'vault-backup',
      prefix: 'backup-test',
      region: 'us-east-2',
      maxConnections: 8,
      insecureTLS: true,
    },
  });
  assert.equal(
    r.repository,
    's3:https://s3.us-east-2.amazonaws.com/vault-backup/backup-test/vault/data/backup/repository/v1/frequent-backup/dump',
  );
  assert.equal(r.env['AWS_DEFAULT_REGION'], 'us-east-2');
  assert.deepEqual(r.flags, ['--no-cache', '--insecure-tls']);
});

test('gcs: gs:<bucket>:/<prefix>/<dir>, connections option', () => {
  const r = url({ gcs: { bucket: 'b', prefix: 'p', maxConnections: 4 } });
  assert.equal(r.repository, `gs:b:/p/${DIR}`);
  assert.deepEqual(r.flags, ['--no-cache', '--option', 'gs.connections=4']);
});

test('azure: azure:<container>:/<prefix>/<dir> and AZURE_ACCOUNT_NAME from the BackupStorage', () => {
  const r = url({ azure: { container: 'c', prefix: 'p', storageAccount: 'acct' } });
  assert.equal(r.repository, `azure:c:/p/${DIR}`);
  assert.equal(r.env['AZURE_ACCOUNT_NAME'], 'acct');
});

test('local: <mountPath>/<dir>; the subPath is the mount, never the URL', () => {
  const r = url({ local: { mountPath: '/safe/data', subPath: 'sub' } });
  assert.equal(r.repository, `/safe/data/${DIR}`);
});

test('Go filepath.Join cleaning: duplicate and trailing slashes, a prefix without one', () => {
  assert.equal(url({ gcs: { bucket: 'b', prefix: 'p/' } }, `//${DIR}/`).repository, `gs:b:/p/${DIR}`);
  assert.equal(url({ local: { mountPath: '/m/' } }, `${DIR}`).repository, `/m/${DIR}`);
});

test('the first storage block present wins, as in the resolver (s3 before local)', () => {
  assert.match(
    url({ s3: { endpoint: 'http://minio:9000', bucket: 'b' }, local: { mountPath: '/x' } }).repository,
    /^s3:/,
  );
  assert.throws(() => resticLocation({}, DIR, OPTS), /no local, s3, gcs or azure storage/);
});

test('the password comes from the encryption Secret, required, and wins over the storage Secret', () => {
  const s = resticSecrets(
    { RESTIC_PASSWORD: Buffer.from('storage'), AWS_ACCESS_KEY_ID: Buffer.from('a') },
    PASSWORD,
    'demo/enc',
    {},
  );
  assert.equal(s['RESTIC_PASSWORD']?.toString(), 'pw');
  assert.equal(s['AWS_ACCESS_KEY_ID']?.toString(), 'a');
  assert.throws(
    () => resticSecrets({}, {}, 'demo/enc', {}),
    /encryption secret demo\/enc has no RESTIC_PASSWORD key/,
  );
});

test('resticStats items carry both shapes, sizes as KubeStash parses them, whole-second UTC times', () => {
  const item = resticStatsItem(
    {
      snapshotId: 'a'.repeat(64),
      path: 'vault-raft.snap',
      totalBytesProcessed: 3 * 1024 * 1024 + 1,
      dataAdded: 1024,
      totalDurationSeconds: 1.5,
      filesNew: 1,
      filesChanged: 0,
      filesUnmodified: 0,
      totalFilesProcessed: 1,
    },
    { startTime: new Date('2026-12-05T09:00:01.789Z'), endTime: new Date('2026-12-05T09:00:05.001Z') },
  );
  const flat = {
    id: 'a'.repeat(64),
    uploaded: '1024 B',
    hostPath: 'vault-raft.snap',
    size: '3.000 MiB',
    startTime: '2026-12-05T09:00:01Z',
    endTime: '2026-12-05T09:00:05Z',
  };
  assert.deepEqual(item, { ...flat, summary: flat });
  assert.equal(kubeTime(new Date('2026-01-02T03:04:05.999Z')), '2026-01-02T03:04:05Z');
});
