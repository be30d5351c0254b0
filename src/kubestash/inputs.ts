// Resolves what a KubeStash session names (kubestash-contract §2, §7.2): the target AppBinding and, per
// Snapshot, the Repository, its BackupStorage, the storage and encryption Secrets, and the restic location.
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskError } from '../errors.ts';
import { isNotFound, type KubeApi } from '../kube/client.ts';
import { readSecret } from '../kube/secrets.ts';
import type { SecretData } from '../restic/repository.ts';
import type { Logger } from '../log.ts';
import {
  COMPONENT,
  objectPath,
  type BackupConfigurationObj,
  type BackupSessionObj,
  type BackupStorageObj,
  type ObjectRef,
  type RepositoryObj,
  type SnapshotObj,
} from './objects.ts';
import { componentPath, resticLocation, resticSecrets, type ResticLocation } from './repository.ts';
import { goJoin } from '../restic/repository.ts';

export interface AppBindingRef {
  namespace: string;
  name: string;
}

// One repository to write to (or read from), with everything restic needs.
export interface ResolvedRepository {
  snapshot: SnapshotObj;
  repository: RepositoryObj;
  // repository/v1/<session>/dump: what Snapshot.status.components.dump.path records.
  componentPath: string;
  location: ResticLocation;
  secrets: SecretData;
}

export async function getObject<T>(
  kube: KubeApi,
  what: string,
  path: string,
  signal?: AbortSignal,
): Promise<T> {
  try {
    return await kube.call<T>(`get ${what}`, { path, ...(signal ? { signal } : {}) });
  } catch (err) {
    if (isNotFound(err)) throw new TaskError('config', `${what} does not exist`, { cause: err });
    throw err;
  }
}

// The AppBinding a BackupConfiguration (or RestoreSession) targets; only AppBindings are Vault targets.
export function appBindingOf(target: ObjectRef | undefined, defaultNs: string, owner: string): AppBindingRef {
  if (target === undefined || (target.name ?? '') === '') {
    throw new TaskError('config', `${owner} has no target`);
  }
  if (target.kind !== 'AppBinding' || (target.apiGroup ?? '') !== 'appcatalog.appscode.com') {
    throw new TaskError(
      'config',
      `${owner} targets ${target.apiGroup ?? ''}/${target.kind ?? ''} ${target.name ?? ''}: this addon backs up a Vault AppBinding (appcatalog.appscode.com AppBinding)`,
    );
  }
  return { namespace: target.namespace || defaultNs, name: target.name ?? '' };
}

export interface BackupInputs {
  session: BackupSessionObj;
  appBinding: AppBindingRef;
  snapshots: Array<{ name: string; repository: string }>;
}

const SNAPSHOTS_POLL_MS = 1000;

// BackupSession → BackupConfiguration → AppBinding, and the Snapshots the operator made for this session
// (polled for a while when the status is not filled yet).
export async function resolveBackupSession(
  kube: KubeApi,
  namespace: string,
  name: string,
  waitMs: number,
  log: Logger,
  signal: AbortSignal,
): Promise<BackupInputs> {
  const deadline = Date.now() + waitMs;
  let session = await readSession(kube, namespace, name, signal);
  while ((session.status?.snapshots ?? []).length === 0) {
    if (Date.now() >= deadline) {
      throw new TaskError('config', `BackupSession ${namespace}/${name} lists no Snapshots in its status`);
    }
    log.info({ backupSession: name }, 'waiting for the operator to list the Snapshots of this session');
    await sleep(SNAPSHOTS_POLL_MS, undefined, { signal });
    session = await readSession(kube, namespace, name, signal);
  }
  const invoker = session.spec?.invoker;
  if (invoker?.kind !== 'BackupConfiguration' || (invoker.name ?? '') === '') {
    throw new TaskError(
      'config',
      `BackupSession ${namespace}/${name} is invoked by ${invoker?.kind ?? 'nothing'}; this addon runs for a BackupConfiguration`,
    );
  }
  const bc = await getObject<BackupConfigurationObj>(
    kube,
    `BackupConfiguration ${namespace}/${invoker.name}`,
    objectPath('backupconfigurations', namespace, invoker.name),
    signal,
  );
  const appBinding = appBindingOf(
    bc.spec?.target,
    namespace,
    `BackupConfiguration ${namespace}/${invoker.name}`,
  );
  const snapshots = (session.status?.snapshots ?? []).map((s) => ({
    name: s.name ?? '',
    repository: s.repository ?? '',
  }));
  return { session, appBinding, snapshots };
}

function readSession(
  kube: KubeApi,
  ns: string,
  name: string,
  signal: AbortSignal,
): Promise<BackupSessionObj> {
  return getObject<BackupSessionObj>(
    kube,
    `BackupSession ${ns}/${name}`,
    objectPath('backupsessions', ns, name),
    signal,
  );
}

export interface RepositoryOptions {
  scratchDir: string;
  enableCache: boolean;
  // Where the encryption Secret is looked for when its reference has no namespace.
  encryptionDefaultNs: string;
  // A RestoreSession's dataSource.encryptionSecret wins over the Repository's own.
  encryptionOverride?: ObjectRef | undefined;
  // The component path a Snapshot recorded (restore); computed from the Snapshot otherwise.
  componentPath?: string;
}

// Snapshot → Repository → BackupStorage → Secrets → restic location.
export async function resolveRepository(
  kube: KubeApi,
  snapshot: SnapshotObj,
  o: RepositoryOptions,
  signal: AbortSignal,
): Promise<ResolvedRepository> {
  const ns = snapshot.metadata.namespace;
  const repoName = snapshot.spec?.repository ?? '';
  if (repoName === '')
    throw new TaskError('config', `Snapshot ${ns}/${snapshot.metadata.name} names no Repository`);
  const repository = await getObject<RepositoryObj>(
    kube,
    `Repository ${ns}/${repoName}`,
    objectPath('repositories', ns, repoName),
    signal,
  );
  const ref = repository.spec?.storageRef;
  if ((ref?.name ?? '') === '')
    throw new TaskError('config', `Repository ${ns}/${repoName} has no storageRef`);
  const storageNs = ref?.namespace || ns;
  const storage = await getObject<BackupStorageObj>(
    kube,
    `BackupStorage ${storageNs}/${ref?.name ?? ''}`,
    objectPath('backupstorages', storageNs, ref?.name),
    signal,
  );
  const comp = o.componentPath ?? snapshotComponentPath(snapshot);
  const directory = goJoin(repository.spec?.path ?? '', comp);
  const location = resticLocation(storage.spec?.storage ?? {}, directory, {
    scratchDir: o.scratchDir,
    enableCache: o.enableCache,
    storageNamespace: storageNs,
  });
  const storageSecret =
    location.secretName === ''
      ? {}
      : await secretOrConfigError(kube, storageNs, location.secretName, 'storage');
  const enc = o.encryptionOverride?.name ? o.encryptionOverride : repository.spec?.encryptionSecret;
  if ((enc?.name ?? '') === '') {
    throw new TaskError('config', `Repository ${ns}/${repoName} has no encryptionSecret`);
  }
  const encNs = enc?.namespace || o.encryptionDefaultNs;
  const encryption = await secretOrConfigError(kube, encNs, enc?.name ?? '', 'encryption');
  const secrets = resticSecrets(
    storageSecret,
    encryption,
    `${encNs}/${enc?.name ?? ''}`,
    location.fromStorage,
  );
  return { snapshot, repository, componentPath: comp, location, secrets };
}

// Where the Snapshot's dump component lives in its Repository: repository/<version>/<session>/dump.
export function snapshotComponentPath(snapshot: SnapshotObj): string {
  return componentPath(snapshot.spec?.version || 'v1', snapshot.spec?.session ?? '', COMPONENT);
}

async function secretOrConfigError(
  kube: KubeApi,
  ns: string,
  name: string,
  role: string,
): Promise<SecretData> {
  try {
    return await readSecret(kube, ns, name);
  } catch (err) {
    if (isNotFound(err))
      throw new TaskError('config', `${role} secret ${ns}/${name} does not exist`, { cause: err });
    throw err;
  }
}
