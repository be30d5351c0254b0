import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commonFlags, dumpArgs, niceWrapper, stdinBackupArgs } from '../../src/restic/args.ts';
import { redactRepository, repositorySetup } from '../../src/restic/repository.ts';
import { classifyExit, resticError } from '../../src/restic/exit.ts';
import { makeScrubber } from '../../src/restic/scrub.ts';
import { parseBackupSummary, parseSnapshots } from '../../src/restic/json.ts';
import type { RepositoryConfig } from '../../src/config/config.ts';

const base: RepositoryConfig = {
  provider: 'local',
  bucket: '/repo',
  endpoint: '',
  region: '',
  prefix: '',
  insecureTls: false,
  storageSecretName: 's',
  storageSecretNamespace: 'demo',
  maxConnections: 0,
  enableCache: true,
  scratchDir: '/stash-tmp',
};
const pw = { RESTIC_PASSWORD: Buffer.from('pw-123456') };

test('repository URL per provider matches the Stash wrapper', () => {
  const url = (r: Partial<RepositoryConfig>, extra: Record<string, string> = {}) =>
    repositorySetup(
      { ...base, ...r },
      { ...pw, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, Buffer.from(v)])) },
    ).repository;
  assert.equal(url({ provider: 'local', bucket: '/mnt/repo', prefix: 'ignored' }), '/mnt/repo');
  assert.equal(
    url({ provider: 's3', endpoint: 'https://s3.amazonaws.com', bucket: 'b', prefix: '/demo/vault/' }),
    's3:https://s3.amazonaws.com/b/demo/vault',
  );
  assert.equal(
    url({ provider: 's3', endpoint: 'http://minio:9000', bucket: 'b', prefix: '' }),
    's3:http://minio:9000/b',
  );
  assert.equal(url({ provider: 'gcs', bucket: 'b', prefix: 'p/q' }), 'gs:b:/p/q');
  assert.equal(url({ provider: 'azure', bucket: 'c', prefix: 'p' }), 'azure:c:/p');
  assert.equal(url({ provider: 'swift', bucket: 'c', prefix: 'p' }), 'swift:c:/p');
  assert.equal(
    url({ provider: 'b2', bucket: 'b', prefix: 'p' }, { B2_ACCOUNT_ID: 'id', B2_ACCOUNT_KEY: 'k' }),
    'b2:b:/p',
  );
  assert.equal(url({ provider: 'rest', endpoint: 'http://rest:8000/demo' }), 'rest:http://rest:8000/demo');
  assert.equal(
    url(
      { provider: 'rest', endpoint: 'https://rest:8000/demo/' },
      { REST_SERVER_USERNAME: 'u@x', REST_SERVER_PASSWORD: 'p/w:1' },
    ),
    'rest:https://u%40x:p%2Fw%3A1@rest:8000/demo/',
  );
});

test('credentials go to env, never to the URL or argv, and are listed as secrets', () => {
  const s = repositorySetup(
    { ...base, provider: 's3', endpoint: 'https://e', bucket: 'b', region: 'eu-1' },
    {
      ...pw,
      AWS_ACCESS_KEY_ID: Buffer.from('AKIAEXAMPLE'),
      AWS_SECRET_ACCESS_KEY: Buffer.from('secret-aws-key'),
      CA_CERT_DATA: Buffer.from('PEM'),
    },
  );
  assert.equal(s.env['AWS_SECRET_ACCESS_KEY'], 'secret-aws-key');
  assert.equal(s.env['AWS_DEFAULT_REGION'], 'eu-1');
  assert.equal(s.env['RESTIC_PASSWORD'], 'pw-123456');
  assert.deepEqual(
    s.files.map((f) => f.name),
    ['ca.crt'],
  );
  assert.ok(s.secrets.includes('secret-aws-key') && s.secrets.includes('pw-123456'));
  const gcs = repositorySetup(
    { ...base, provider: 'gcs', bucket: 'b' },
    { ...pw, GOOGLE_SERVICE_ACCOUNT_JSON_KEY: Buffer.from('{}') },
  );
  assert.equal(gcs.files[0]?.env, 'GOOGLE_APPLICATION_CREDENTIALS');
});

test('missing password, b2 keys or unknown provider fail clearly', () => {
  assert.throws(() => repositorySetup(base, {}), /RESTIC_PASSWORD/);
  assert.throws(() => repositorySetup({ ...base, provider: 'b2' }, pw), /B2_ACCOUNT_ID/);
  assert.throws(
    () => repositorySetup({ ...base, provider: 'ftp' }, pw),
    /unsupported repository provider "ftp"/,
  );
});

test('common flags in Stash order, connections only for gcs/azure/b2', () => {
  assert.deepEqual(
    commonFlags({
      cacheDir: '/c',
      caCertPath: '/t/ca.crt',
      insecureTls: true,
      provider: 'gcs',
      maxConnections: 4,
    }),
    ['--cache-dir', '/c', '--cacert', '/t/ca.crt', '--insecure-tls', '--option', 'gs.connections=4'],
  );
  assert.deepEqual(
    commonFlags({
      cacheDir: undefined,
      caCertPath: undefined,
      insecureTls: false,
      provider: 's3',
      maxConnections: 4,
    }),
    ['--no-cache'],
  );
});

test('backup and dump argv', () => {
  assert.deepEqual(
    stdinBackupArgs({ filename: 'f', host: 'host-0', tags: ['a', 'b'], cacheEnabled: true }, [
      '--cache-dir',
      '/c',
    ]),
    [
      'backup',
      '--stdin',
      '--stdin-filename',
      'f',
      '--host',
      'host-0',
      '--tag',
      'a',
      '--tag',
      'b',
      '--quiet',
      '--json',
      '--cache-dir',
      '/c',
      '--cleanup-cache',
    ],
  );
  assert.deepEqual(dumpArgs('abc', '/f', ['--no-cache']), ['dump', '--quiet', 'abc', '/f', '--no-cache']);
});

test('nice/ionice wrapper from env', () => {
  assert.deepEqual(niceWrapper({}), []);
  assert.deepEqual(niceWrapper({ NICE_ADJUSTMENT: '5', IONICE_CLASS: '2', IONICE_CLASS_DATA: '4' }), [
    'ionice',
    '-c',
    '2',
    '-n',
    '4',
    'nice',
    '-n',
    '5',
  ]);
  assert.deepEqual(niceWrapper({ NICE_ADJUSTMENT: 'x' }), []);
});

test('exit classification across restic versions', () => {
  assert.equal(
    classifyExit(
      1,
      undefined,
      'Fatal: unable to open config file: Stat: stat /r/config: no such file or directory\nIs there a repository at the following location?',
    ),
    'repo-missing',
  );
  assert.equal(classifyExit(10, undefined, ''), 'repo-missing');
  assert.equal(classifyExit(1, undefined, 'Fatal: wrong password or no key found'), 'wrong-password');
  assert.equal(classifyExit(11, undefined, ''), 'locked');
  assert.equal(classifyExit(undefined, 'SIGINT', ''), 'cancelled');
  assert.equal(classifyExit(130, undefined, ''), 'cancelled');
  assert.equal(classifyExit(3, undefined, ''), 'failed');
  assert.match(
    resticError('backup', 1, undefined, 'a\nFatal: wrong password or no key found\n').message,
    /wrong restic password.*exit code 1.*Fatal: wrong password/,
  );
});

test('scrubber removes secrets and URL userinfo', () => {
  const scrub = makeScrubber(['hunter22', 'pw']);
  assert.equal(
    scrub('rest:https://u:hunter22@h/x failed: hunter22'),
    'rest:https://[redacted]@h/x failed: [redacted]',
  );
  assert.equal(redactRepository('rest:https://u:p@h:8000/r'), 'rest:https://h:8000/r');
});

test('restic JSON: 0.14 short ids and snapshot lists', () => {
  const s = parseBackupSummary(
    '{"message_type":"summary","files_new":1,"files_changed":0,"files_unmodified":0,"total_files_processed":1,"total_bytes_processed":12,"data_added":300,"total_duration":0.21,"snapshot_id":"2cce3629"}\n',
  );
  assert.equal(s.snapshotId, '2cce3629');
  assert.equal(s.totalBytesProcessed, 12);
  assert.throws(() => parseBackupSummary('{"message_type":"status"}\n'), /without reporting a snapshot id/);
  const list = parseSnapshots(
    '[{"id":"aa","short_id":"a","time":"t","hostname":"h","paths":["/x"],"tags":["t1"]}]',
  );
  assert.deepEqual(list[0], {
    id: 'aa',
    shortId: 'a',
    time: 't',
    hostname: 'h',
    paths: ['/x'],
    tags: ['t1'],
  });
});
