// RESTIC_REPOSITORY and credential environment per provider, byte-compatible with Stash's restic wrapper
// (stash-contract §3.1) so repositories written by the Go addon keep working.
import { posix } from 'node:path';
import { TaskError } from '../errors.ts';
import type { RepositoryConfig } from '../config/config.ts';

export type SecretData = Record<string, Buffer>;

export interface RepositorySetup {
  repository: string;
  env: Record<string, string>;
  // Files restic needs (CA, GCS key), written 0600 under the private TMPDIR.
  files: Array<{ name: string; content: Buffer; env?: string; flag?: string }>;
  // Values that must never appear in logs or errors.
  secrets: string[];
}

const SWIFT_KEYS = [
  'ST_AUTH',
  'ST_USER',
  'ST_KEY',
  'OS_AUTH_URL',
  'OS_REGION_NAME',
  'OS_USERNAME',
  'OS_PASSWORD',
  'OS_TENANT_ID',
  'OS_TENANT_NAME',
  'OS_USER_DOMAIN_NAME',
  'OS_PROJECT_NAME',
  'OS_PROJECT_DOMAIN_NAME',
  'OS_APPLICATION_CREDENTIAL_ID',
  'OS_APPLICATION_CREDENTIAL_SECRET',
  'OS_APPLICATION_CREDENTIAL_NAME',
  'OS_STORAGE_URL',
  'OS_AUTH_TOKEN',
];

const SECRET_KEYS = new Set([
  'RESTIC_PASSWORD',
  'AWS_SECRET_ACCESS_KEY',
  'AZURE_ACCOUNT_KEY',
  'B2_ACCOUNT_KEY',
  'ST_KEY',
  'OS_PASSWORD',
  'OS_APPLICATION_CREDENTIAL_SECRET',
  'OS_AUTH_TOKEN',
  'REST_SERVER_PASSWORD',
  'GOOGLE_SERVICE_ACCOUNT_JSON_KEY',
]);

export function repositorySetup(repo: RepositoryConfig, secret: SecretData): RepositorySetup {
  const text = (k: string): string | undefined => secret[k]?.toString('utf8');
  const env: Record<string, string> = { RESTIC_PROGRESS_FPS: '0.016666' };
  const files: RepositorySetup['files'] = [];
  const copy = (...keys: string[]): void => {
    for (const k of keys) {
      const v = text(k);
      if (v !== undefined) env[k] = v;
    }
  };
  const password = text('RESTIC_PASSWORD');
  if (password === undefined || password === '') {
    throw new TaskError('config', `storage secret has no RESTIC_PASSWORD key`);
  }
  env['RESTIC_PASSWORD'] = password;
  const caData = secret['CA_CERT_DATA'];
  if (caData !== undefined && caData.length > 0)
    files.push({ name: 'ca.crt', content: caData, flag: '--cacert' });

  const prefixed = (scheme: string): string => `${scheme}:${repo.bucket}:/${repo.prefix}`;
  let repository: string;
  switch (repo.provider) {
    case 'local':
      repository = repo.bucket;
      break;
    case 's3':
      repository = `s3:${repo.endpoint}/${goJoin(repo.bucket, repo.prefix)}`;
      copy('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY');
      if (repo.region !== '') env['AWS_DEFAULT_REGION'] = repo.region;
      break;
    case 'gcs': {
      repository = prefixed('gs');
      copy('GOOGLE_PROJECT_ID');
      const key = secret['GOOGLE_SERVICE_ACCOUNT_JSON_KEY'];
      if (key !== undefined) {
        files.push({
          name: 'GOOGLE_SERVICE_ACCOUNT_JSON_KEY',
          content: key,
          env: 'GOOGLE_APPLICATION_CREDENTIALS',
        });
      }
      break;
    }
    case 'azure':
      repository = prefixed('azure');
      copy('AZURE_ACCOUNT_NAME', 'AZURE_ACCOUNT_KEY');
      break;
    case 'swift':
      repository = prefixed('swift');
      copy(...SWIFT_KEYS);
      break;
    case 'b2':
      repository = prefixed('b2');
      for (const k of ['B2_ACCOUNT_ID', 'B2_ACCOUNT_KEY']) {
        if (text(k) === undefined)
          throw new TaskError('config', `storage secret has no ${k} key (required for b2)`);
      }
      copy('B2_ACCOUNT_ID', 'B2_ACCOUNT_KEY');
      break;
    case 'rest':
      repository = `rest:${restUrl(repo.endpoint, text('REST_SERVER_USERNAME'), text('REST_SERVER_PASSWORD'))}`;
      break;
    default:
      throw new TaskError('config', `unsupported repository provider "${repo.provider}"`);
  }
  env['RESTIC_REPOSITORY'] = repository;
  const secrets = Object.entries(secret)
    .filter(([k, v]) => SECRET_KEYS.has(k) && v.length > 0)
    .map(([, v]) => v.toString('utf8'));
  return { repository, env, files, secrets };
}

// Go's filepath.Join: joins, cleans, drops empty parts; "" when both are empty.
export function goJoin(...parts: string[]): string {
  const joined = parts.filter((p) => p !== '').join('/');
  return joined === '' ? '' : posix.normalize(joined).replace(/\/+$/, '');
}

// Go's url.UserPassword + URL.String(): credentials percent-encoded into userinfo.
function restUrl(endpoint: string, user: string | undefined, pass: string | undefined): string {
  if (user === undefined || user === '') return endpoint;
  const u = new URL(endpoint);
  u.username = encodeURIComponent(user);
  u.password = pass === undefined ? '' : encodeURIComponent(pass);
  return u.toString().replace(/\/$/, endpoint.endsWith('/') ? '/' : '');
}

// A repository location safe to log: userinfo removed.
export function redactRepository(repository: string): string {
  return repository.replace(/(\w+:\/\/)[^/@\s]*@/, '$1');
}
