// The built image (scripts/build-image.sh), run for real with podman as a Stash and a KubeStash job run
// it: uid 65532, read-only root filesystem, no capabilities, only the scratch volume (and the key tmpfs,
// the kubeconfig, the local repository) mounted, host network to the emulators. The same World as the
// e2e tests builds the argv and env from the upstream Functions; only the runner changes (in-container.ts),
// and the results are checked as the e2e tests check them.
// Run: node --test --test-force-exit test/image/container.check.ts   (make image-test; needs root)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { assertNoSecretsLeaked, assertRestoreOutput, assertSucceededOutput } from '../helpers/assertions.ts';
import { REPO_PATH, SESSION, setupKubeStash, type KubeStashWorld } from '../helpers/kubestash-world.ts';
import { CLI_NODE_FLAGS, CLI_RUNTIME_ENV, UPSTREAM_CATALOG } from '../helpers/paths.ts';
import { restic, resticVersions, snapshots } from '../helpers/restic.ts';
import { assertStoredBackup, keyDirsLeft } from '../helpers/stored-backup.ts';
import { unseal } from '../helpers/vault-unseal.ts';
import { NS, startWorld, type World } from '../helpers/world.ts';
import { inContainer } from './in-container.ts';
import { IMAGE, imageExists, podman, podmanStatus, RUN_FLAGS, UID } from './podman.ts';

// The host reads the repositories with the image's restic line.
const v = resticVersions().find((r) => r.label === '0.18');
if (v === undefined) throw new Error('restic 0.18 missing: run scripts/setup-tools.sh');
if (!imageExists()) throw new Error(`image ${IMAGE} missing: run scripts/build-image.sh (make image-test)`);

const RAFT = '/vault-raft.snap';
const GO_DURATION = /^(\d+h)?(\d+m)?\d+(\.\d+)?(s|ms)$/;
const containers: string[] = [];
// A kept container (podman inspect/diff after the run); removed when the file ends.
const keep = (what: string): string => {
  const name = `stash-vault-check-${what}-${process.pid}`;
  containers.push(name);
  return name;
};
after(() => {
  for (const c of containers) podmanStatus(['rm', '--force', '--ignore', c]);
});

interface Inspect {
  Config: { Entrypoint: string[] | string; Cmd: string[] | null; User: string; Env: string[] };
  Mounts: Array<{ Type: string; Source: string; Destination: string; RW: boolean }>;
  HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[] | null };
}
function inspect(name: string): Inspect {
  return (JSON.parse(podman(['container', 'inspect', name])) as Inspect[])[0] as Inspect;
}
function entrypoint(i: Inspect): string[] {
  return typeof i.Config.Entrypoint === 'string' ? i.Config.Entrypoint.split(' ') : i.Config.Entrypoint;
}

// What a run left in a writable mount: relative paths of every file, sorted.
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

// The container wrote nothing to its own filesystem, ran as configured, and its only writable places
// are the mounts the test gave it. `podman diff` lists only what the runtime made before the root went
// read-only: the mount points (and their parents) and /etc's hosts, hostname and resolv.conf.
function assertConfined(name: string, writable: string[]): Inspect {
  const i = inspect(name);
  assert.equal(i.HostConfig.ReadonlyRootfs, true);
  assert.equal(i.Config.User, `${UID}:${UID}`);
  const mountPoints = i.Mounts.map((m) => m.Destination);
  const runtimeMade = (p: string): boolean =>
    ['/etc', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf'].includes(p) ||
    mountPoints.some((m) => m === p || m.startsWith(`${p}/`));
  const changed = podman(['diff', name])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.slice(2));
  assert.deepEqual(
    changed.filter((p) => !runtimeMade(p)),
    [],
    'no change to the container filesystem beyond its mount points',
  );
  const rw = i.Mounts.filter((m) => m.RW)
    .map((m) => m.Destination)
    .sort();
  assert.deepEqual(rw, [...writable].sort(), 'the writable mounts');
  return i;
}

describe(`the image ${IMAGE}, without a cluster`, () => {
  test('`version` and `--help` work as uid 65532 on a read-only root', () => {
    const version = podman(['run', '--rm', ...RUN_FLAGS, IMAGE, 'version']);
    assert.match(version, /^stash-vault \d+\.\d+\.\d+/);
    const help = podman(['run', '--rm', ...RUN_FLAGS, IMAGE, '--help']);
    for (const c of ['backup-vault', 'restore-vault', 'backup', 'restore', 'version'])
      assert.match(help, new RegExp(`\\b${c}\\b`));
  });

  test('the image config: the CLI is the ENTRYPOINT with no CMD, USER 65532, the runtime env', () => {
    const cfg = (
      JSON.parse(podman(['image', 'inspect', IMAGE])) as Array<{
        Config: { Entrypoint: string[]; Cmd?: string[]; User: string; Env: string[] };
      }>
    )[0]?.Config;
    assert.ok(cfg);
    assert.deepEqual(cfg.Entrypoint, ['/nodejs/bin/node', ...CLI_NODE_FLAGS, '/app/dist/cli.js']);
    assert.equal(cfg.Cmd ?? null, null, 'Stash supplies the args');
    assert.equal(cfg.User, '65532:65532');
    for (const [k, val] of Object.entries({
      ...CLI_RUNTIME_ENV,
      TMPDIR: '/stash-tmp',
      NODE_ENV: 'production',
    }))
      assert.ok(cfg.Env.includes(`${k}=${val}`), `${k}=${val}`);
  });

  test('no shell and no package manager: /bin/sh cannot start, and the filesystem has none', () => {
    const sh = podmanStatus(['run', '--rm', ...RUN_FLAGS, '--entrypoint=/bin/sh', IMAGE, '-c', 'true']);
    assert.notEqual(sh.status, 0);
    assert.match(sh.stderr, /no such file or directory|not found/i);
    const root = podman(['image', 'mount', IMAGE]).trim();
    try {
      for (const p of [
        'bin/sh',
        'bin/bash',
        'usr/bin/sh',
        'usr/bin/bash',
        'usr/bin/busybox',
        'usr/bin/apt',
        'usr/bin/dpkg',
      ])
        assert.equal(statSync(join(root, p), { throwIfNoEntry: false }), undefined, `/${p}`);
      // Everything executable in the image: node, restic, setpriv; nothing else.
      const executables: string[] = [];
      const walk = (d: string): void => {
        for (const n of readdirSync(d)) {
          const p = join(d, n);
          const s = statSync(p, { throwIfNoEntry: false });
          if (s === undefined) continue;
          if (s.isDirectory()) {
            if (relative(root, p) !== 'app') walk(p);
          } else if (s.isFile() && (s.mode & 0o111) !== 0 && !/\.so(\.\d+)*$/.test(n))
            executables.push(`/${relative(root, p)}`);
        }
      };
      walk(root);
      assert.deepEqual(executables.sort(), ['/nodejs/bin/node', '/usr/bin/setpriv', '/usr/local/bin/restic']);
    } finally {
      podman(['image', 'unmount', IMAGE]);
    }
  });
});

describe(`Stash: backup-vault and restore-vault in the container (host restic ${v.label})`, () => {
  let w: World;
  let atBackup: Record<string, string>;
  const mounts = (): string[] => [w.repository];
  before(async () => {
    w = await startWorld({ restic: v });
    mkdirSync(w.repository, { recursive: true });
  });
  after(() => w.close());

  test('backup: output.json Succeeded, the Raft object and the keys stored, confined to its mounts', async () => {
    const name = keep('backup');
    const run = await w.backup({}, inContainer({ scratchAt: '/stash-tmp', mounts: mounts(), name }));
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    assertSucceededOutput(w, 2);
    assert.equal(
      assertStoredBackup(w).layout,
      'key-files',
      'the key files went through the memory filesystem',
    );
    assertNoSecretsLeaked(w, run);
    atBackup = w.vault.data();

    // The args reached the ENTRYPOINT verbatim: the upstream Function's, with its own /stash-tmp default.
    const i = assertConfined(name, ['/stash-tmp', w.keysTmpfs, w.repository]);
    assert.deepEqual(entrypoint(i), ['/nodejs/bin/node', ...CLI_NODE_FLAGS, '/app/dist/cli.js']);
    const fn = loadYaml(readFileSync(join(UPSTREAM_CATALOG, 'vault-backup-function.yaml'), 'utf8')) as {
      spec: { args: string[] };
    };
    assert.equal(i.Config.Cmd?.length, fn.spec.args.length);
    assert.deepEqual(
      i.Config.Cmd,
      run.args.map((a) => a.split(w.scratch).join('/stash-tmp')),
    );
    assert.ok(i.Config.Cmd?.includes('--scratch-dir=/stash-tmp'));
    // Writes: output.json in /stash-tmp, and no key file left on the memory filesystem.
    // (ENABLE_CACHE=true: restic's cache lives in the scratch volume too; the private TMPDIR is gone.)
    const files = filesUnder(w.scratch);
    assert.ok(files.includes('output/output.json'));
    assert.deepEqual(
      files.filter((f) => f !== 'output/output.json' && !f.startsWith('restic-cache/')),
      [],
    );
    assert.deepEqual(keyDirsLeft(w.keysTmpfs), []);
  });

  test('restore into the same cluster: the data at backup time comes back', async () => {
    w.vault.setData('secret/app/db', 'changed-after-backup');
    w.vault.setData('secret/extra', 'new');
    const name = keep('restore');
    const run = await w.restore(
      { RESTORE_SNAPSHOTS: 'latest' },
      inContainer({ scratchAt: '/stash-tmp', mounts: mounts(), name }),
    );
    assertRestoreOutput(w, run, 'Succeeded');
    assert.deepEqual(w.vault.data(), atBackup);
    assert.equal(w.vault.isSealed(), false);
    assert.equal(w.vault.restoreLog().at(-1)?.force, false);
    assertNoSecretsLeaked(w, run);
    assertConfined(name, ['/stash-tmp', w.keysTmpfs, w.repository]);
    assert.deepEqual(keyDirsLeft(w.keysTmpfs), []);
  });

  test('force restore into a new cluster: the keys move under the new prefix and unseal it', async () => {
    w.grantForceRestoreRbac();
    const c = await w.addCluster('vault-new', 'k8s.new.demo.vault-new');
    const run = await w.restore(
      {
        TARGET_NAME: 'vault-new',
        keyPrefix: 'k8s.new.demo.vault-new',
        force: 'true',
        oldKeyPrefix: w.keyPrefix,
      },
      inContainer({ scratchAt: '/stash-tmp', mounts: mounts() }),
    );
    assertRestoreOutput(w, run, 'Succeeded');
    assert.ok(
      c.restoreLog().some((r) => r.status === 204 && r.force),
      'Vault accepted the forced snapshot',
    );
    const s = w.kube.get('v1', 'Secret', NS, 'vault-new-keys') as unknown as { data: Record<string, string> };
    const moved = (k: string): string => Buffer.from(s.data[k] ?? '', 'base64').toString('utf8');
    assert.equal(moved('k8s.new.demo.vault-new-root-token'), w.vault.rootToken);
    w.vault.unsealKeys.forEach((k, i) => assert.equal(moved(`k8s.new.demo.vault-new-unseal-key-${i}`), k));
    assert.equal(moved('other'), 'keep-me', 'other keys of the Secret stay');
    assert.equal(await unseal(c.nodes[c.activeIndex()]?.url ?? '', w.pki.caPem, w.vault.unsealKeys), true);
    assertNoSecretsLeaked(w, run);
  });
});

describe(`KubeStash: backup and restore in the container (host restic ${v.label})`, () => {
  let w: World;
  let ks: KubeStashWorld;
  // KubeStash mounts its scratch volume at /kubestash-tmp: the Function's default, and the only one here.
  const kubestash = (name?: string): ReturnType<typeof inContainer> =>
    inContainer({
      scratchAt: '/kubestash-tmp',
      mounts: [ks.mountPath],
      ...(name === undefined ? {} : { name }),
    });
  const dumpComponent = (obj: unknown): Record<string, unknown> =>
    (obj as { status?: { components?: Record<string, Record<string, unknown>> } }).status?.components?.[
      'dump'
    ] ?? {};
  before(async () => {
    w = await startWorld({ restic: v, backend: 'local' });
    ks = setupKubeStash(w);
  });
  after(() => w.close());

  test('backup: Snapshot dump Succeeded, both objects in the repository at the documented path', async () => {
    w.vault.setData('secret/app/db', 'at-backup');
    const session = 'vault-backup-image-1';
    const {
      snapshots: [snap = ''],
    } = ks.newBackupSession(session);
    const name = keep('ks-backup');
    const run = await ks.backup(session, {}, kubestash(name));
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    const c = dumpComponent(ks.snapshot(snap)) as {
      resticStats?: Array<{ summary?: { id?: string } }>;
    } & Record<string, unknown>;
    assert.equal(c['phase'], 'Succeeded', String(c['error']));
    assert.equal(c['driver'], 'Restic');
    assert.equal(c['path'], `repository/v1/${SESSION}/dump`);
    assert.match(String(c['duration']), GO_DURATION);
    assert.equal(c['integrity'], true);
    assert.equal(c.resticStats?.length, 2);
    const ids = (c.resticStats ?? []).map((r) => String(r.summary?.id));
    const list = snapshots(v, ks.resticRepository(SESSION, REPO_PATH));
    const raft = list.find((s) => ids.some((id) => s.id.startsWith(id)) && s.paths.includes(RAFT));
    assert.ok(raft, 'the Raft object is one of the recorded ids');
    const archive = restic(v, ks.resticRepository(), ['dump', raft.id, RAFT, '--no-cache']);
    assert.equal(archive.subarray(0, 2).toString('hex'), '1f8b', 'a gzip archive, readable by plain restic');
    assertNoSecretsLeaked(w, run);
    const i = assertConfined(name, ['/kubestash-tmp', w.keysTmpfs, ks.mountPath]);
    assert.ok(i.Config.Cmd?.includes('--scratch-dir=/kubestash-tmp'));
    assert.deepEqual(filesUnder(w.scratch), [], 'the scratch volume is left empty');
    assert.deepEqual(keyDirsLeft(w.keysTmpfs), []);
  });

  test('restore by Snapshot name into the same cluster: the data at backup time comes back', async () => {
    const snap = `vault-repo-vault-backup-image-1`;
    w.vault.setData('secret/app/db', 'changed-later');
    ks.restoreSession('restore-by-name', { snapshot: snap });
    const before = w.vault.restoreLog().length;
    const name = keep('ks-restore');
    const run = await ks.restore('restore-by-name', { snapshot: snap }, kubestash(name));
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    const c = dumpComponent(ks.restoreSessionObj('restore-by-name'));
    assert.equal(c['phase'], 'Succeeded', String(c['error']));
    assert.match(String(c['duration']), GO_DURATION);
    assert.equal(w.vault.restoreLog().length, before + 1);
    assert.equal(w.vault.data()['secret/app/db'], 'at-backup');
    assertNoSecretsLeaked(w, run);
    assertConfined(name, ['/kubestash-tmp', w.keysTmpfs, ks.mountPath]);
  });
});
