// A KubeStash Repository as restic sees it: RESTIC_REPOSITORY, credentials and flags exactly as
// KubeStash's restic wrapper forms them (kubestash-contract §4.1-4.3), so a repository we write is read by
// KubeStash's own tools and the other way round. The location is mapped onto the Stash-style setup
// (restic/repository.ts), which forms the same URL once the component directory is in the prefix.
import { TaskError } from '../errors.ts';
import type { RepositoryConfig } from '../config/config.ts';
import { goJoin, type SecretData } from '../restic/repository.ts';
import type { StorageSpec } from './objects.ts';

export interface ResticLocation {
  config: RepositoryConfig;
  // Values restic reads from the environment that come from the BackupStorage, not a Secret.
  fromStorage: Record<string, string>;
  // The BackupStorage's credential Secret name ('' when none: ambient credentials).
  secretName: string;
}

export interface LocationOptions {
  scratchDir: string;
  enableCache: boolean;
  storageNamespace: string;
}

// `directory` is Repository.spec.path joined with the component path.
export function resticLocation(storage: StorageSpec, directory: string, o: LocationOptions): ResticLocation {
  const base = {
    endpoint: '',
    region: '',
    insecureTls: false,
    maxConnections: 0,
    enableCache: o.enableCache,
    scratchDir: o.scratchDir,
    storageSecretNamespace: o.storageNamespace,
  };
  const at = (
    provider: string,
    bucket: string,
    prefix: string,
    secretName: string | undefined,
    extra: Partial<RepositoryConfig> = {},
    fromStorage: Record<string, string> = {},
  ): ResticLocation => ({
    config: { ...base, provider, bucket, prefix, storageSecretName: secretName ?? '', ...extra },
    fromStorage,
    secretName: secretName ?? '',
  });
  // The resolver's order: the first storage block present wins (AM:pkg/resolver/resolver.go).
  if (storage.s3 !== undefined) {
    const s3 = storage.s3;
    return at('s3', s3.bucket ?? '', goJoin(s3.prefix ?? '', directory), s3.secretName, {
      endpoint: s3.endpoint ?? '',
      region: s3.region ?? '',
      insecureTls: s3.insecureTLS === true,
      // The wrapper ignores maxConnections for S3.
    });
  }
  if (storage.gcs !== undefined) {
    const g = storage.gcs;
    return at('gcs', g.bucket ?? '', goJoin(g.prefix ?? '', directory), g.secretName, {
      maxConnections: g.maxConnections ?? 0,
    });
  }
  if (storage.azure !== undefined) {
    const a = storage.azure;
    return at(
      'azure',
      a.container ?? '',
      goJoin(a.prefix ?? '', directory),
      a.secretName,
      { maxConnections: a.maxConnections ?? 0 },
      a.storageAccount !== undefined && a.storageAccount !== ''
        ? { AZURE_ACCOUNT_NAME: a.storageAccount }
        : {},
    );
  }
  if (storage.local !== undefined) {
    // The subPath is applied when the volume is mounted, never in the URL.
    return at('local', goJoin(storage.local.mountPath ?? '', directory), '', undefined);
  }
  throw new TaskError('config', 'the BackupStorage has no local, s3, gcs or azure storage configured');
}

// The restic environment's secret side: the storage Secret's credentials, the password from the
// encryption Secret (required), and what the BackupStorage itself names (the Azure account).
export function resticSecrets(
  storageSecret: SecretData,
  encryption: SecretData,
  encryptionRef: string,
  fromStorage: Record<string, string>,
): SecretData {
  const password = encryption['RESTIC_PASSWORD'];
  if (password === undefined || password.length === 0) {
    throw new TaskError('config', `encryption secret ${encryptionRef} has no RESTIC_PASSWORD key`);
  }
  const out: SecretData = { ...storageSecret, RESTIC_PASSWORD: password };
  for (const [k, v] of Object.entries(fromStorage)) out[k] = Buffer.from(v, 'utf8');
  return out;
}

// repository/v1/<session>/dump (AM:snapshot_helpers.go GetComponentPath).
export function componentPath(version: string, session: string, component: string): string {
  return goJoin('repository', version, session, component);
}
