// A KubeStash setup on top of the e2e world (same Vault cluster, AppBinding and keys): a local
// BackupStorage, an encryption Secret, a Repository, a BackupConfiguration, and per run a BackupSession with
// its Snapshot, the way the KubeStash operator prepares them before it starts the job (kubestash-contract
// §1, §2). The CLI runs the upstream KubeStash Functions' args verbatim, as the job's ServiceAccounts bound
// to deploy/kubestash-job-rbac.yaml.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { bindServiceAccount, loadManifests } from '../emulators/kube/stash-rbac.ts';
import type { KubeObject } from '../emulators/kube/types.ts';
import { secret } from '../emulators/kube/fixtures.ts';
import { expandStash } from './expand.ts';
import { REPO_ROOT, SHARED } from './paths.ts';
import { TEST_PASSWORD } from './restic.ts';
import type { CliOptions, CliRun } from './run-cli.ts';
import { NS, type World } from './world.ts';

export const KS_CATALOG = join(SHARED, 'upstream-catalog', 'kubestash-vault');
const CORE = 'core.kubestash.com/v1alpha1';
const STORAGE = 'storage.kubestash.com/v1alpha1';
export const SESSION = 'frequent-backup';
export const REPO = 'vault-repo';
export const REPO_PATH = '/vault/data';
const BACKUP_SA = 'kubestash-vault-backup';
const RESTORE_SA = 'kubestash-vault-restore';

export interface KubeStashWorld {
  w: World;
  // The local BackupStorage's mount path: every restic repository lives below it.
  mountPath: string;
  // The restic repository of the dump component of `session` in Repository `repo`.
  resticRepository(session?: string, repoPath?: string): string;
  // A BackupSession (and its Snapshot per repository), as the operator creates them.
  newBackupSession(name: string, repositories?: string[]): { snapshots: string[] };
  addRepository(name: string, path: string): void;
  restoreSession(
    name: string,
    o: { snapshot: string; target?: string; params?: Record<string, string> },
  ): void;
  backup(session: string, inputs?: Record<string, string>, o?: CliOptions): Promise<CliRun>;
  restore(session: string, inputs?: Record<string, string>, o?: CliOptions): Promise<CliRun>;
  snapshot(name: string): KubeObject;
  restoreSessionObj(name: string): KubeObject;
}

export function setupKubeStash(w: World): KubeStashWorld {
  const mountPath = join(w.scratch, '..', 'kubestash-storage');
  mkdirSync(mountPath, { recursive: true });
  for (const obj of loadManifests(join(REPO_ROOT, 'deploy', 'kubestash-job-rbac.yaml'))) w.kube.put(obj);
  const dir = join(w.scratch, '..');
  const backupKc = join(dir, 'kubeconfig-kubestash-backup');
  const restoreKc = join(dir, 'kubeconfig-kubestash-restore');
  w.kube.writeKubeconfig(
    backupKc,
    NS,
    bindServiceAccount(w.kube, {
      namespace: NS,
      serviceAccount: BACKUP_SA,
      clusterRole: 'stash-vault-kubestash-backup-job',
    }),
  );
  w.kube.writeKubeconfig(
    restoreKc,
    NS,
    bindServiceAccount(w.kube, {
      namespace: NS,
      serviceAccount: RESTORE_SA,
      clusterRole: 'stash-vault-kubestash-restore-job',
    }),
  );
  const appRef = {
    apiGroup: 'appcatalog.appscode.com',
    kind: 'AppBinding',
    namespace: NS,
    name: w.appBindingName,
  };
  w.kube.put(secret({ name: 'encrypt-secret', namespace: NS, data: { RESTIC_PASSWORD: TEST_PASSWORD } }));
  w.kube.put({
    apiVersion: STORAGE,
    kind: 'BackupStorage',
    metadata: { name: 'local-storage', namespace: NS },
    spec: {
      storage: { provider: 'local', local: { mountPath, hostPath: { path: mountPath } } },
      usagePolicy: { allowedNamespaces: { from: 'All' } },
      deletionPolicy: 'WipeOut',
    },
  });
  const addRepository = (name: string, path: string): void => {
    w.kube.put({
      apiVersion: STORAGE,
      kind: 'Repository',
      metadata: { name, namespace: NS },
      spec: {
        appRef,
        storageRef: { name: 'local-storage', namespace: NS },
        path,
        deletionPolicy: 'Delete',
        encryptionSecret: { name: 'encrypt-secret', namespace: NS },
      },
    });
  };
  addRepository(REPO, REPO_PATH);
  w.kube.put({
    apiVersion: CORE,
    kind: 'BackupConfiguration',
    metadata: { name: 'vault-backup', namespace: NS },
    spec: {
      target: appRef,
      backends: [{ name: 'local-backend', storageRef: { name: 'local-storage', namespace: NS } }],
      sessions: [
        {
          name: SESSION,
          scheduler: { schedule: '*/5 * * * *', jobTemplate: { backoffLimit: 1 } },
          repositories: [
            {
              name: REPO,
              backend: 'local-backend',
              directory: REPO_PATH,
              encryptionSecret: { name: 'encrypt-secret', namespace: NS },
            },
          ],
          addon: {
            name: 'vault-addon',
            tasks: [{ name: 'vault-backup', params: { keyPrefix: w.keyPrefix } }],
          },
        },
      ],
    },
  });
  const newBackupSession: KubeStashWorld['newBackupSession'] = (name, repositories = [REPO]) => {
    const snapshots = repositories.map((repo) => `${repo}-${name}`);
    repositories.forEach((repo, i) => {
      w.kube.put({
        apiVersion: STORAGE,
        kind: 'Snapshot',
        metadata: {
          name: snapshots[i] ?? '',
          namespace: NS,
          labels: { 'kubestash.com/repo-name': repo, 'kubestash.com/app-ref-name': w.appBindingName },
        },
        spec: {
          appRef,
          repository: repo,
          session: SESSION,
          backupSession: name,
          version: 'v1',
          deletionPolicy: 'Delete',
        },
        status: {
          phase: 'Running',
          totalComponents: 1,
          snapshotTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      });
    });
    w.kube.put({
      apiVersion: CORE,
      kind: 'BackupSession',
      metadata: { name, namespace: NS },
      spec: {
        invoker: { apiGroup: 'core.kubestash.com', kind: 'BackupConfiguration', name: 'vault-backup' },
        session: SESSION,
      },
      status: {
        phase: 'Running',
        snapshots: repositories.map((repo, i) => ({
          name: snapshots[i],
          phase: 'Running',
          appRef,
          repository: repo,
        })),
      },
    });
    return { snapshots };
  };
  const fnArgs = (file: string, inputs: Record<string, string>): string[] => {
    const fn = loadYaml(readFileSync(join(KS_CATALOG, file), 'utf8')) as { spec: { args: string[] } };
    return fn.spec.args.map((a) => expandStash(a, inputs));
  };
  // What the operator provides, plus the Addon's parameter defaults (vault-addon.yaml).
  const common = (): Record<string, string> => ({
    namespace: NS,
    scratchDir: w.scratch,
    enableCache: 'false',
    interimDataDir: join(w.scratch, 'interim'),
    waitTimeout: '20',
  });
  return {
    w,
    mountPath,
    resticRepository: (session = SESSION, repoPath = REPO_PATH) =>
      join(mountPath, repoPath, 'repository', 'v1', session, 'dump'),
    newBackupSession,
    addRepository,
    restoreSession: (name, o) => {
      w.kube.put({
        apiVersion: CORE,
        kind: 'RestoreSession',
        metadata: { name, namespace: NS },
        spec: {
          target: { ...appRef, name: o.target ?? w.appBindingName },
          dataSource: {
            repository: REPO,
            snapshot: o.snapshot,
            encryptionSecret: { name: 'encrypt-secret', namespace: NS },
          },
          addon: { name: 'vault-addon', tasks: [{ name: 'vault-restore', params: o.params ?? {} }] },
        },
      });
    },
    backup: (session, inputs = {}, o) =>
      w.cli(
        fnArgs('vault-backup-function.yaml', { ...common(), backupSession: session, ...inputs }),
        backupKc,
        o,
      ),
    restore: (session, inputs = {}, o) =>
      w.cli(
        fnArgs('vault-restore-function.yaml', { ...common(), restoreSession: session, ...inputs }),
        restoreKc,
        o,
      ),
    snapshot: (name) => w.kube.get(STORAGE, 'Snapshot', NS, name) as KubeObject,
    restoreSessionObj: (name) => w.kube.get(CORE, 'RestoreSession', NS, name) as KubeObject,
  };
}
