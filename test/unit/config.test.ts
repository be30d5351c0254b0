import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { parseArgs } from '../../src/config/parse-args.ts';
import { parseDurationMs } from '../../src/config/convert.ts';
import { parseVaultArgs } from '../../src/config/vault-args.ts';
import { UsageError } from '../../src/errors.ts';
import { expandStash } from '../helpers/expand.ts';
import { UPSTREAM_CATALOG } from '../helpers/paths.ts';

const REQUIRED = [
  '--provider=local',
  '--bucket=/r',
  '--storage-secret-name=s',
  '--storage-secret-namespace=demo',
  '--appbinding=vault',
];

function upstreamArgs(file: string, vars: Record<string, string>): string[] {
  const fn = loadYaml(readFileSync(join(UPSTREAM_CATALOG, file), 'utf8')) as { spec: { args: string[] } };
  return fn.spec.args.map((a) => expandStash(a, vars));
}

const BACKUP_VARS = {
  REPOSITORY_PROVIDER: 'local',
  REPOSITORY_BUCKET: '/repo',
  REPOSITORY_SECRET_NAME: 'repo-secret',
  REPOSITORY_SECRET_NAMESPACE: 'demo',
  REPOSITORY_INSECURE_TLS: 'false',
  INTERIM_DATA_DIR: '/stash-tmp/stash-interim-volume/data',
  HOSTNAME: 'host-0',
  NAMESPACE: 'demo',
  TARGET_NAME: 'vault',
  TARGET_NAMESPACE: 'demo',
  BACKUP_SESSION: 'vault-123',
  MAX_CONNECTIONS: '0',
  ENABLE_CACHE: 'true',
  outputDir: '/stash-tmp/output',
  keyPrefix: 'k8s.kubevault.com.demo.vault',
};

test('every upstream backup Function arg parses with no unknown flag', () => {
  const { config, warnings } = parseArgs(upstreamArgs('vault-backup-function.yaml', BACKUP_VARS));
  assert.deepEqual(warnings, []);
  assert.equal(config.command, 'backup-vault');
  assert.equal(config.repository.insecureTls, false);
  assert.equal(config.waitTimeoutMs, 300_000);
  assert.equal(config.keyPrefix, 'k8s.kubevault.com.demo.vault');
  assert.equal(config.outputDir, '/stash-tmp/output');
  assert.equal(config.command === 'backup-vault' && config.backupSession, 'vault-123');
});

test('every upstream restore Function arg parses, with present-but-empty variables', () => {
  const vars = {
    ...BACKUP_VARS,
    HOSTNAME: '',
    SOURCE_HOSTNAME: '',
    RESTORE_SNAPSHOTS: 'abc123,def456',
    force: 'true',
    oldKeyPrefix: 'k8s.old.demo.vault',
  };
  const { config, warnings } = parseArgs(upstreamArgs('vault-restore-function.yaml', vars));
  assert.deepEqual(warnings, []);
  assert.equal(config.command, 'restore-vault');
  assert.equal(config.hostname, '');
  if (config.command !== 'restore-vault') assert.fail('wrong command');
  assert.deepEqual(config.snapshots, ['abc123', 'def456']);
  assert.equal(config.force, true);
  assert.equal(config.oldKeyPrefix, 'k8s.old.demo.vault');
});

test('empty values mean defaults; strings stay strings', () => {
  const { config } = parseArgs([
    'backup-vault',
    ...REQUIRED,
    '--insecure-tls=',
    '--enable-cache=',
    '--key-prefix=007',
    '--max-connections=',
    '--wait-timeout=',
  ]);
  assert.equal(config.repository.insecureTls, false);
  assert.equal(config.repository.enableCache, true);
  assert.equal(config.keyPrefix, '007');
  assert.equal(config.repository.maxConnections, 0);
  assert.equal(config.waitTimeoutMs, 300_000);
  assert.equal(config.appBindingNamespace, 'default');
});

test('missing required flags and bad values are reported all at once', () => {
  assert.throws(
    () => parseArgs(['backup-vault', '--enable-cache=maybe', '--max-connections=-1']),
    (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.deepEqual(err.problems, [
        '--provider is required',
        '--storage-secret-name is required',
        '--storage-secret-namespace is required',
        '--appbinding is required',
        '--max-connections must be a non-negative integer, got "-1"',
        '--enable-cache must be true or false, got "maybe"',
      ]);
      return true;
    },
  );
});

test('unknown flags warn and the run continues; wrong-command flags warn', () => {
  const { warnings } = parseArgs(['backup-vault', ...REQUIRED, '--future-flag=1', '--force=true']);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0] ?? '', /unknown flag --future-flag/);
  assert.match(warnings[1] ?? '', /--force is not used by backup-vault/);
});

test('unknown command is a usage error', () => {
  assert.throws(() => parseArgs(['snapshot-vault', ...REQUIRED]), UsageError);
});

test('--vault-args: client timeout honoured, the rest warned about', () => {
  assert.deepEqual(parseVaultArgs(''), { clientTimeoutMs: undefined, warnings: [] });
  const a = parseVaultArgs('-client-timeout=5m -tls-skip-verify');
  assert.equal(a.clientTimeoutMs, 300_000);
  assert.equal(a.warnings.length, 1);
  assert.match(a.warnings[0] ?? '', /-tls-skip-verify/);
  assert.equal(parseVaultArgs('--client-timeout 90s').clientTimeoutMs, 90_000);
  const { config } = parseArgs(['backup-vault', ...REQUIRED, '--vault-args=-client-timeout=1h']);
  assert.equal(config.vaultClientTimeoutMs, 3_600_000);
});

test('durations', () => {
  assert.equal(parseDurationMs('300'), 300_000);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('2h'), 7_200_000);
  assert.equal(parseDurationMs('soon'), undefined);
  assert.equal(parseDurationMs('5m junk'), undefined);
});
