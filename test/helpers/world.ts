// One emulated cluster for an end-to-end test: Kubernetes API (HTTPS), a KubeVault-style Vault cluster
// (HTTPS, 3 nodes), the objects KubeVault and Stash create, a real restic repository (local or
// rest-server) and the CLI's argv built from the upstream Function exactly as Stash expands it.
import { mkdtempSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { startKubeEmulator, type KubeEmulator } from '../emulators/kube/index.ts';
import { appBinding, backupSession, secret, storageSecret } from '../emulators/kube/fixtures.ts';
import {
  bindServiceAccount,
  loadManifests,
  stashBackupJobClusterRole,
  stashRestoreJobClusterRole,
} from '../emulators/kube/stash-rbac.ts';
import { startVaultCluster, type VaultCluster, type VaultClusterOptions } from '../emulators/vault/index.ts';
import type { CloudKeyFixture } from '../emulators/cloud/fixture.ts';
import { makeTestPki, type TestPki } from './certs.ts';
import { expandStash } from './expand.ts';
import { REPO_ROOT, UPSTREAM_CATALOG } from './paths.ts';
import { TEST_PASSWORD, type ResticVersion } from './restic.ts';
import { makeResticShim, type ResticShim } from './restic-shim.ts';
import { startRestServer, type RestServer } from './rest-server.ts';
import { restServerBin, restic } from './restic.ts';
import { runCli, type CliOptions, type CliRun } from './run-cli.ts';

export const NS = 'demo';
export const KEY_PREFIX = 'k8s.kubevault.com.demo.vault';
export const BACKUP_TOKEN_POLICY = {
  'sys/storage/raft/snapshot': ['read'],
  'sys/storage/raft/snapshot-force': ['read'],
};
// Restore needs update (vault-snapshot-api §4): the KubeVault sample policy's read-only grant is not enough.
export const RESTORE_TOKEN_POLICY = {
  'sys/storage/raft/snapshot': ['read', 'update'],
  'sys/storage/raft/snapshot-force': ['read', 'update'],
};

export interface WorldOptions {
  restic: ResticVersion;
  backend?: 'local' | 'rest';
  vault?: VaultClusterOptions;
  tokenPolicy?: Record<string, string[]>;
  keyPrefix?: string;
  appBindingName?: string;
  // Keep the unseal keys in this cloud store emulator instead of a Kubernetes Secret.
  unsealer?: CloudKeyFixture;
  // Run the real restic directly instead of through the recording shim (benchmarks).
  noShim?: boolean;
  // CRD folders that replace the shared ones (an older KubeStash schema).
  crdOverrideDirs?: string[];
}

// The ServiceAccounts Stash creates for the backup and restore jobs (stash-contract §1.6).
export const BACKUP_SA = 'backupconfiguration-vault-backup-0';
export const RESTORE_SA = 'restoresession-vault-restore-0';

export interface World {
  kube: KubeEmulator;
  vault: VaultCluster;
  pki: TestPki;
  v: ResticVersion;
  shim: ResticShim;
  repository: string; // RESTIC_REPOSITORY for direct restic calls
  scratch: string;
  outputDir: string;
  // This world's own memory filesystem folder for key files: parallel test files never see each other's.
  keysTmpfs: string;
  // Every temporary folder of this world (removed by close).
  tempDirs(): string[];
  kubeconfig: string;
  backupToken: string;
  keyPrefix: string;
  appBindingName: string;
  vars(extra?: Record<string, string>): Record<string, string>;
  functionArgs(
    file: 'vault-backup-function.yaml' | 'vault-restore-function.yaml',
    extra?: Record<string, string>,
  ): string[];
  backup(extra?: Record<string, string>, o?: CliOptions): Promise<CliRun>;
  restore(extra?: Record<string, string>, o?: CliOptions): Promise<CliRun>;
  // Any argv, run like backup() and restore() (shim, key tmpfs) with this kubeconfig.
  cli(args: string[], kubeconfig: string, o?: CliOptions): Promise<CliRun>;
  addCluster(name: string, keyPrefix: string, opts?: VaultClusterOptions): Promise<VaultCluster>;
  output(): { targetStatus: { ref: Record<string, string>; stats: Array<Record<string, unknown>> } };
  resticJson<T>(args: string[]): T;
  secretValues(): string[];
  newBackupSession(name: string, preBackupActions?: string[]): void;
  // Applies deploy/force-restore-rbac.yaml: the restore job may then write the unseal-key Secret.
  grantForceRestoreRbac(): void;
  close(): Promise<void>;
}

export async function startWorld(o: WorldOptions): Promise<World> {
  const pki = makeTestPki(['localhost']);
  const kube = await startKubeEmulator(o.crdOverrideDirs ? { crdOverrideDirs: o.crdOverrideDirs } : {});
  const vault = await startVaultCluster({
    tls: { certPem: pki.certPem, keyPem: pki.keyPem },
    data: { 'secret/app/db': 'pw-1', 'secret/app/api': 'key-2' },
    ...o.vault,
  });
  const dir = mkdtempSync(join(tmpdir(), 'stash-vault-e2e-'));
  const scratch = join(dir, 'stash-tmp');
  mkdirSync(scratch);
  const outputDir = join(scratch, 'output');
  const keysTmpfs = mkdtempSync('/dev/shm/stash-vault-test-');
  // The CLI runs as Stash's job ServiceAccounts, under Stash's own ClusterRoles: a call they may not
  // make fails here as in a cluster.
  kube.put(stashBackupJobClusterRole());
  kube.put(stashRestoreJobClusterRole());
  const kubeconfig = join(dir, 'kubeconfig');
  const restoreKubeconfig = join(dir, 'kubeconfig-restore');
  kube.writeKubeconfig(
    kubeconfig,
    NS,
    bindServiceAccount(kube, { namespace: NS, serviceAccount: BACKUP_SA, clusterRole: 'stash-backup-job' }),
  );
  kube.writeKubeconfig(
    restoreKubeconfig,
    NS,
    bindServiceAccount(kube, { namespace: NS, serviceAccount: RESTORE_SA, clusterRole: 'stash-restore-job' }),
  );
  const keyPrefix = o.keyPrefix ?? KEY_PREFIX;
  const appBindingName = o.appBindingName ?? 'vault';
  const backupToken = vault.createToken(o.tokenPolicy ?? RESTORE_TOKEN_POLICY);

  let rest: RestServer | undefined;
  let repository: string;
  let repoVars: Record<string, string>;
  if (o.backend === 'rest') {
    const bin = restServerBin();
    if (bin === undefined) throw new Error('rest-server is not installed');
    rest = await startRestServer(bin);
    repository = `rest:${rest.url}vault-repo`;
    repoVars = {
      REPOSITORY_PROVIDER: 'rest',
      REPOSITORY_BUCKET: '127.0.0.1',
      REPOSITORY_PREFIX: '/vault-repo',
      REPOSITORY_ENDPOINT: `${rest.url}vault-repo`,
    };
  } else {
    repository = join(dir, 'repo');
    repoVars = { REPOSITORY_PROVIDER: 'local', REPOSITORY_BUCKET: repository, REPOSITORY_PREFIX: '' };
  }
  kube.put(storageSecret({ name: 'repo-secret', namespace: NS, data: { RESTIC_PASSWORD: TEST_PASSWORD } }));
  kube.put(secret({ name: 'vault-backup-token', namespace: NS, data: { token: backupToken } }));
  const keys: Record<string, string> = { [`${keyPrefix}-root-token`]: vault.rootToken };
  vault.unsealKeys.forEach((k, i) => (keys[`${keyPrefix}-unseal-key-${i}`] = k));
  const cloud = o.unsealer;
  if (cloud === undefined) kube.put(secret({ name: 'vault-keys', namespace: NS, data: keys }));
  else await seedCloud(kube, cloud, keys);
  kube.put(
    appBinding({
      name: appBindingName,
      namespace: NS,
      url: vault.serviceUrl,
      caBundlePem: pki.caPem,
      backupTokenSecret: 'vault-backup-token',
      keysSecret: 'vault-keys',
      unsealerMode: cloud?.mode,
      secretShares: vault.unsealKeys.length,
      secretThreshold: vault.threshold,
      keyPrefix,
    }),
  );
  const shim = makeResticShim(o.restic.bin);
  const extra: VaultCluster[] = [];
  const newBackupSession = (
    name: string,
    preBackupActions: string[] = ['InitializeBackendRepository'],
  ): void => {
    kube.put(
      backupSession({
        name,
        namespace: NS,
        invokerName: 'vault-backup',
        targetRef: { name: appBindingName, namespace: NS },
        preBackupActions,
      }),
    );
  };
  newBackupSession('vault-backup-1');

  const vars = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...repoVars,
    REPOSITORY_SECRET_NAME: 'repo-secret',
    REPOSITORY_SECRET_NAMESPACE: NS,
    REPOSITORY_INSECURE_TLS: 'false',
    MAX_CONNECTIONS: '0',
    ENABLE_CACHE: 'true',
    INTERIM_DATA_DIR: join(scratch, 'stash-interim-volume', 'data'),
    HOSTNAME: 'host-0',
    NAMESPACE: NS,
    TARGET_NAME: appBindingName,
    TARGET_NAMESPACE: NS,
    BACKUP_SESSION: 'vault-backup-1',
    outputDir,
    keyPrefix,
    waitTimeout: '20',
    ...extra,
  });
  const functionArgs: World['functionArgs'] = (file, extra) => {
    const fn = loadYaml(readFileSync(join(UPSTREAM_CATALOG, file), 'utf8')) as { spec: { args: string[] } };
    // The image mounts /stash-tmp; tests point the scratch dir at a private folder instead.
    return fn.spec.args.map((a) =>
      expandStash(a, vars(extra)).replace(/^--scratch-dir=.*$/, `--scratch-dir=${scratch}`),
    );
  };
  const env = {
    KUBECONFIG: kubeconfig,
    LOG_LEVEL: 'debug',
    STASH_VAULT_KEYS_TMPFS: keysTmpfs,
    ...cloud?.env,
  };
  const restoreEnv = { ...env, KUBECONFIG: restoreKubeconfig };
  const world: World = {
    kube,
    vault,
    pki,
    v: o.restic,
    shim,
    repository,
    scratch,
    outputDir,
    keysTmpfs,
    tempDirs: () => [dir, keysTmpfs, shim.binDir, ...(rest ? [rest.dataDir] : [])],
    kubeconfig,
    backupToken,
    keyPrefix,
    appBindingName,
    vars,
    functionArgs,
    backup: (extra, co = {}) =>
      runCli(functionArgs('vault-backup-function.yaml', extra), {
        ...co,
        env: { ...env, ...co.env },
        pathPrefix: o.noShim === true ? [o.restic.binDir] : [shim.binDir, o.restic.binDir],
      }),
    restore: (extra, co = {}) =>
      runCli(functionArgs('vault-restore-function.yaml', { HOSTNAME: '', SOURCE_HOSTNAME: '', ...extra }), {
        ...co,
        env: { ...restoreEnv, ...co.env },
        pathPrefix: o.noShim === true ? [o.restic.binDir] : [shim.binDir, o.restic.binDir],
      }),
    cli: (args, kc, co = {}) =>
      runCli(args, {
        ...co,
        env: { ...env, KUBECONFIG: kc, ...co.env },
        pathPrefix: o.noShim === true ? [o.restic.binDir] : [shim.binDir, o.restic.binDir],
      }),
    addCluster: async (name, prefix, opts = {}) => {
      const c = await startVaultCluster({
        tls: { certPem: pki.certPem, keyPem: pki.keyPem },
        data: { 'secret/new': 'fresh' },
        ...opts,
      });
      extra.push(c);
      const tok = c.createToken(RESTORE_TOKEN_POLICY);
      kube.put(secret({ name: `${name}-backup-token`, namespace: NS, data: { token: tok } }));
      const k: Record<string, string> = { [`${prefix}-root-token`]: c.rootToken, other: 'keep-me' };
      c.unsealKeys.forEach((key, i) => (k[`${prefix}-unseal-key-${i}`] = key));
      if (cloud === undefined) kube.put(secret({ name: `${name}-keys`, namespace: NS, data: k }));
      else await seedCloud(kube, cloud, k);
      kube.put(
        appBinding({
          name,
          namespace: NS,
          url: c.serviceUrl,
          caBundlePem: pki.caPem,
          backupTokenSecret: `${name}-backup-token`,
          keysSecret: `${name}-keys`,
          unsealerMode: cloud?.mode,
          secretShares: c.unsealKeys.length,
          secretThreshold: c.threshold,
          keyPrefix: prefix,
        }),
      );
      return c;
    },
    output: () =>
      JSON.parse(readFileSync(join(outputDir, 'output.json'), 'utf8')) as ReturnType<World['output']>,
    resticJson: <T>(args: string[]) =>
      JSON.parse(restic(o.restic, repository, [...args, '--json', '--no-cache']).toString('utf8')) as T,
    secretValues: () => [
      backupToken,
      vault.rootToken,
      ...vault.unsealKeys,
      TEST_PASSWORD,
      ...extra.flatMap((c) => [c.rootToken, ...c.unsealKeys]),
      ...(cloud?.secretValues() ?? []),
    ],
    newBackupSession,
    grantForceRestoreRbac: () => {
      for (const obj of loadManifests(join(REPO_ROOT, 'deploy', 'force-restore-rbac.yaml'))) kube.put(obj);
    },
    close: async () => {
      await vault.close();
      for (const c of extra) await c.close();
      await kube.close();
      await rest?.close();
      rmSync(keysTmpfs, { recursive: true, force: true });
      shim.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

// The unsealer's own write path: every key into the cloud store, and the credential secret beside it.
async function seedCloud(
  kube: KubeEmulator,
  cloud: CloudKeyFixture,
  keys: Record<string, string>,
): Promise<void> {
  kube.put(secret({ name: credentialSecretOf(cloud), namespace: NS, data: cloud.credentialSecretData }));
  for (const [name, value] of Object.entries(keys)) await cloud.seed(name, Buffer.from(value, 'utf8'));
}

export function credentialSecretOf(cloud: CloudKeyFixture): string {
  const spec = Object.values(cloud.mode)[0] as { credentialSecretRef?: { name?: string } } | undefined;
  return spec?.credentialSecretRef?.name ?? '';
}
