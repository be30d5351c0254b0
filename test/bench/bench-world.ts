// The benchmark's cluster: the Kubernetes emulator in the harness, Vault in a process of its own (its TLS
// serving and its restore checks must not share an event loop with the harness that measures), a
// repository on restic-rest-server (outside the measured tree) and the CLI run with the upstream args.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { startKubeEmulator, type KubeEmulator } from '../emulators/kube/index.ts';
import { appBinding, secret, storageSecret } from '../emulators/kube/fixtures.ts';
import { startVaultClusterProcess, type VaultClusterHandle } from '../emulators/vault/index.ts';
import { makeTestPki, type TestPki } from '../helpers/certs.ts';
import { expandStash } from '../helpers/expand.ts';
import { startRestServer, type RestServer } from '../helpers/rest-server.ts';
import { restic, restServerBin, TEST_PASSWORD, type ResticVersion } from '../helpers/restic.ts';
import { CLI, CLI_NODE_FLAGS, CLI_RUNTIME_ENV, UPSTREAM_CATALOG } from '../helpers/paths.ts';

const NS = 'demo';
export const BENCH_KEY_PREFIX = 'k8s.kubevault.com.demo.vault';
const POLICY = {
  'sys/storage/raft/snapshot': ['read', 'update'],
  'sys/storage/raft/snapshot-force': ['read', 'update'],
};

export interface BenchWorld {
  vault: VaultClusterHandle;
  kube: KubeEmulator;
  pki: TestPki;
  outputDir: string;
  backupToken: string;
  // A new, empty repository on rest-server: nothing deduplicates against an earlier run.
  freshRepository(name: string): { url: string; env: Record<string, string> };
  // The CLI as Stash runs it (upstream args expanded), with the image's node flags and environment.
  command(
    kind: 'backup' | 'restore',
    repoUrl: string,
    vars: Record<string, string>,
  ): { cmd: string; args: string[]; env: Record<string, string> };
  // The flags of a force restore of the Raft object in `repoEnv`'s repository.
  restoreVars(repoEnv: Record<string, string>): Record<string, string>;
  output(): { targetStatus: { stats: Array<Record<string, unknown>> } };
  close(): Promise<void>;
}

export async function startBenchWorld(v: ResticVersion, archiveFile: string): Promise<BenchWorld> {
  const pki = makeTestPki(['localhost']);
  const kube = await startKubeEmulator();
  const vault = await startVaultClusterProcess({
    nodes: 3,
    tls: { certPem: pki.certPem, keyPem: pki.keyPem },
  });
  await vault.setFaults({ serveArchiveFile: archiveFile });
  const bin = restServerBin();
  if (bin === undefined) throw new Error('rest-server is not installed: run scripts/setup-tools.sh');
  const rest: RestServer = await startRestServer(bin);
  const dir = mkdtempSync(join(tmpdir(), 'stash-vault-bench-world-'));
  const scratch = join(dir, 'stash-tmp');
  mkdirSync(scratch);
  const outputDir = join(scratch, 'output');
  const kubeconfig = join(dir, 'kubeconfig');
  kube.writeKubeconfig(kubeconfig, NS);
  const backupToken = await vault.createToken(POLICY);
  kube.put(storageSecret({ name: 'repo-secret', namespace: NS, data: { RESTIC_PASSWORD: TEST_PASSWORD } }));
  kube.put(secret({ name: 'vault-backup-token', namespace: NS, data: { token: backupToken } }));
  const keys: Record<string, string> = { [`${BENCH_KEY_PREFIX}-root-token`]: vault.rootToken };
  vault.unsealKeys.forEach((k, i) => (keys[`${BENCH_KEY_PREFIX}-unseal-key-${i}`] = k));
  kube.put(secret({ name: 'vault-keys', namespace: NS, data: keys }));
  kube.put(
    appBinding({
      name: 'vault',
      namespace: NS,
      url: vault.serviceUrl,
      caBundlePem: pki.caPem,
      backupTokenSecret: 'vault-backup-token',
      keysSecret: 'vault-keys',
      secretShares: vault.unsealKeys.length,
      secretThreshold: vault.threshold,
      keyPrefix: BENCH_KEY_PREFIX,
    }),
  );
  const args = (file: string, vars: Record<string, string>): string[] => {
    const fn = loadYaml(readFileSync(join(UPSTREAM_CATALOG, file), 'utf8')) as { spec: { args: string[] } };
    return fn.spec.args.map((a) =>
      expandStash(a, vars).replace(/^--scratch-dir=.*$/, `--scratch-dir=${scratch}`),
    );
  };
  return {
    vault,
    kube,
    pki,
    outputDir,
    backupToken,
    freshRepository: (name) => {
      const url = `${rest.url}${name}`;
      restic(v, `rest:${url}`, ['init']);
      return { url, env: { RESTIC_REPOSITORY: `rest:${url}`, RESTIC_PASSWORD: TEST_PASSWORD } };
    },
    command: (kind, repoUrl, vars) => {
      const all: Record<string, string> = {
        REPOSITORY_PROVIDER: 'rest',
        REPOSITORY_BUCKET: '127.0.0.1',
        REPOSITORY_PREFIX: '/',
        REPOSITORY_ENDPOINT: repoUrl,
        REPOSITORY_SECRET_NAME: 'repo-secret',
        REPOSITORY_SECRET_NAMESPACE: NS,
        REPOSITORY_INSECURE_TLS: 'false',
        MAX_CONNECTIONS: '0',
        ENABLE_CACHE: 'false',
        HOSTNAME: kind === 'backup' ? 'host-0' : '',
        SOURCE_HOSTNAME: '',
        NAMESPACE: NS,
        TARGET_NAME: 'vault',
        TARGET_NAMESPACE: NS,
        BACKUP_SESSION: '',
        INTERIM_DATA_DIR: join(scratch, 'stash-interim-volume', 'data'),
        outputDir,
        keyPrefix: BENCH_KEY_PREFIX,
        waitTimeout: '60',
        ...vars,
      };
      const file = kind === 'backup' ? 'vault-backup-function.yaml' : 'vault-restore-function.yaml';
      return {
        cmd: process.execPath,
        args: [...CLI_NODE_FLAGS, CLI, ...args(file, all)],
        env: {
          ...CLI_RUNTIME_ENV,
          KUBECONFIG: kubeconfig,
          LOG_LEVEL: 'debug',
          PATH: `${v.binDir}:${process.env['PATH'] ?? ''}`,
        },
      };
    },
    restoreVars: (repoEnv) => {
      const list = JSON.parse(
        restic(v, repoEnv['RESTIC_REPOSITORY'] ?? '', ['snapshots', '--json', '--no-cache']).toString(),
      ) as Array<{ id: string; paths: string[] }>;
      const raft = list.find((s) => s.paths.includes('/vault-raft.snap'));
      if (raft === undefined) throw new Error('the repository holds no Raft object');
      return { RESTORE_SNAPSHOTS: raft.id, force: 'true', oldKeyPrefix: BENCH_KEY_PREFIX };
    },
    output: () =>
      JSON.parse(readFileSync(join(outputDir, 'output.json'), 'utf8')) as ReturnType<BenchWorld['output']>,
    close: async () => {
      await vault.close();
      await kube.close();
      await rest.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
