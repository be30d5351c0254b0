// The KubeStash catalog (kubestash/, deploy/kubestash-job-rbac.yaml, `make install-kubestash-catalog`):
// valid against the real KubeStash CRDs, the kubestash-catalog vault entries with only the image changed,
// installable by the make target, and job RBAC that grants exactly what the code needs, checked by
// applying it to the Kubernetes emulator and asking it as the job's ServiceAccounts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { Agent, request } from 'undici';
import { startKubeEmulator, type KubeEmulator, type KubeObject } from '../emulators/kube/index.ts';
import { loadManifests, parseManifests } from '../emulators/kube/stash-rbac.ts';
import { REPO_ROOT, SHARED } from '../helpers/paths.ts';
import { loadCrdSchema, validate, type Schema } from './schema.ts';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string };
  spec: unknown;
}
interface FunctionSpec {
  image?: string;
  args?: string[];
}
interface AddonTask {
  name: string;
  function: string;
  driver: string;
  executor: string;
  singleton: boolean;
  parameters?: { name: string; default?: string }[];
}
interface AddonSpec {
  backupTasks: AddonTask[];
  restoreTasks: AddonTask[];
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const DIR = 'kubestash';
const UPSTREAM = join(SHARED, 'upstream-catalog', 'kubestash-vault');
const CRDS = join(SHARED, 'crds', 'kubestash');
const RBAC_REL = 'deploy/kubestash-job-rbac.yaml';
const RBAC_FILE = join(REPO_ROOT, RBAC_REL);
const CRD_OF: Record<string, string> = {
  Addon: 'addons.kubestash.com_addons.yaml',
  Function: 'addons.kubestash.com_functions.yaml',
};
const FUNCTIONS = [
  { file: 'vault-backup-function.yaml', name: 'vault-backup', task: 'backupTasks' },
  { file: 'vault-restore-function.yaml', name: 'vault-restore', task: 'restoreTasks' },
] as const;
// Variables KubeStash itself fills in every Function (kubestash-contract §1.2); the rest are Addon params.
const OPERATOR_VARS = ['namespace', 'backupSession', 'restoreSession', 'snapshot'];

const read = (rel: string): string => readFileSync(join(REPO_ROOT, rel), 'utf8');
const readObj = (rel: string): Obj => load(read(rel)) as Obj;
const upstream = (file: string): Obj => load(readFileSync(join(UPSTREAM, file), 'utf8')) as Obj;
// The catalog files of kubestash/ (everything but the kustomization).
const catalogFiles = (): string[] =>
  readdirSync(join(REPO_ROOT, DIR))
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
    .sort();
const kustomization = (text: string): { kind: string; resources: string[] } =>
  load(text) as { kind: string; resources: string[] };

// The one image string: the Stash Functions' (functions/*.yaml), which both catalogs share.
function ourImage(): string {
  const images = readdirSync(join(REPO_ROOT, 'functions'))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => (readObj(`functions/${f}`).spec as FunctionSpec).image);
  assert.ok(images.length > 0);
  assert.equal(new Set(images).size, 1, `functions/*.yaml disagree: ${images.join(', ')}`);
  return images[0] ?? '';
}

function argVars(args: readonly string[]): string[] {
  return [...new Set(args.flatMap((a) => [...a.matchAll(/\$\{([A-Za-z_]\w*)/g)].map((m) => m[1] ?? '')))];
}

// ---- files and CRDs ------------------------------------------------------------------------------

test('kubestash/ holds exactly the Addon, the two Functions and the kustomization', () => {
  assert.deepEqual(readdirSync(join(REPO_ROOT, DIR)).sort(), [
    'kustomization.yaml',
    'vault-addon.yaml',
    'vault-backup-function.yaml',
    'vault-restore-function.yaml',
  ]);
});

test('the strict validator rejects a bad Addon and a bad Function against the KubeStash CRDs', () => {
  const addon = loadCrdSchema(join(CRDS, CRD_OF['Addon'] ?? ''), 'v1alpha1');
  const badAddon = {
    apiVersion: addon.apiVersion,
    kind: addon.kind,
    spec: { backupTasks: [{ name: 'x', function: 'x', executor: 'Pod', singelton: true, singleton: 'yes' }] },
  };
  const addonErrs = validate(badAddon, addon.schema);
  assert.ok(
    addonErrs.includes('spec.backupTasks[0].executor: unsupported value "Pod"'),
    addonErrs.join('\n'),
  );
  assert.ok(addonErrs.includes('spec.backupTasks[0].singelton: unknown field'), addonErrs.join('\n'));
  assert.ok(
    addonErrs.includes('spec.backupTasks[0].singleton: must be of type boolean, got string'),
    addonErrs.join('\n'),
  );
  const fn = loadCrdSchema(join(CRDS, CRD_OF['Function'] ?? ''), 'v1alpha1');
  const fnErrs = validate(
    { apiVersion: fn.apiVersion, kind: fn.kind, spec: { image: 1, arg: [] } },
    fn.schema,
  );
  assert.ok(fnErrs.includes('spec.image: must be of type string, got integer'), fnErrs.join('\n'));
  assert.ok(fnErrs.includes('spec.arg: unknown field'), fnErrs.join('\n'));
});

for (const file of catalogFiles()) {
  test(`${DIR}/${file} validates against its KubeStash CRD`, () => {
    const docs = loadAll(read(`${DIR}/${file}`)) as Obj[];
    assert.equal(docs.length, 1);
    const obj = docs[0] as Obj;
    const crdFile = CRD_OF[obj.kind];
    assert.ok(crdFile !== undefined, `no KubeStash CRD for kind ${obj.kind}`);
    const { apiVersion, kind, schema } = loadCrdSchema(join(CRDS, crdFile), 'v1alpha1');
    assert.equal(obj.apiVersion, apiVersion);
    assert.equal(obj.kind, kind);
    // metadata is the apiserver's own; Addon and Function are cluster-scoped: a name, no namespace.
    assert.match(obj.metadata.name ?? '', /^vault-/);
    assert.equal(obj.metadata.namespace, undefined);
    const rest: Record<string, unknown> = { ...obj };
    delete rest['metadata'];
    assert.deepEqual(validate(rest, schema), []);
  });
}

// test/catalog/schema.ts does not read allOf, where the Addon CRD keeps the `driver` enums.
test('every Addon task driver is in each of the CRD allOf enums', () => {
  const crd = load(readFileSync(join(CRDS, CRD_OF['Addon'] ?? ''), 'utf8')) as {
    spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
  };
  const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.['spec'];
  const addon = readObj(`${DIR}/vault-addon.yaml`).spec as AddonSpec;
  for (const key of ['backupTasks', 'restoreTasks'] as const) {
    const driver = spec?.properties?.[key]?.items?.properties?.['driver'] as
      (Schema & { allOf?: { enum?: unknown[] }[] }) | undefined;
    const enums = (driver?.allOf ?? []).map((a) => a.enum ?? []);
    assert.ok(enums.length > 0, `${key}.driver: no allOf enums in the CRD`);
    for (const t of addon[key])
      for (const e of enums) assert.ok(e.includes(t.driver), `${t.name}: ${t.driver}`);
  }
});

// ---- same as upstream, our image ------------------------------------------------------------------

for (const f of FUNCTIONS) {
  test(`${f.name}: args verbatim upstream's, same name, only the image changed (to ours)`, () => {
    const theirs = upstream(f.file);
    const ours = readObj(`${DIR}/${f.file}`);
    assert.equal(theirs.metadata.name, f.name);
    assert.equal(ours.metadata.name, f.name);
    const upArgs = (theirs.spec as FunctionSpec).args ?? [];
    assert.ok(upArgs.length >= 9);
    assert.deepEqual((ours.spec as FunctionSpec).args, upArgs);
    const raw = read(`${DIR}/${f.file}`);
    for (const a of upArgs) assert.ok(raw.includes(`  - ${a}\n`), `missing verbatim: ${a}`);
    const image = (ours.spec as FunctionSpec).image;
    assert.equal(image, ourImage());
    assert.notEqual(image, (theirs.spec as FunctionSpec).image);
    assert.deepEqual(
      { ...ours, spec: { ...(ours.spec as object), image: (theirs.spec as FunctionSpec).image } },
      theirs,
    );
    // Exactly one `image:` line: `make install-kubestash-catalog IMAGE=…` rewrites that line.
    assert.equal(raw.match(/^ {2}image: /gm)?.length, 1);
  });
}

test('vault-addon: the upstream Addon, task and Function names and parameters unchanged', () => {
  const theirs = upstream('vault-addon.yaml');
  const ours = readObj(`${DIR}/vault-addon.yaml`);
  assert.equal(ours.metadata.name, 'vault-addon');
  const spec = ours.spec as AddonSpec;
  const up = theirs.spec as AddonSpec;
  for (const key of ['backupTasks', 'restoreTasks'] as const) {
    assert.deepEqual(
      spec[key].map((t) => [t.name, t.function]),
      up[key].map((t) => [t.name, t.function]),
    );
    assert.deepEqual(
      spec[key].map((t) => t.parameters),
      up[key].map((t) => t.parameters),
    );
  }
  assert.deepEqual(
    spec.backupTasks.map((t) => t.function),
    ['vault-backup'],
  );
  assert.deepEqual(
    spec.restoreTasks.map((t) => t.function),
    ['vault-restore'],
  );
  // Volumes, mounts, driver, executor and singleton too: the whole object.
  assert.deepEqual(ours, theirs);
});

for (const f of FUNCTIONS) {
  test(`${f.name}: every arg variable is an Addon parameter of its task or an operator variable, and back`, () => {
    const addon = readObj(`${DIR}/vault-addon.yaml`).spec as AddonSpec;
    const task = addon[f.task].find((t) => t.function === f.name);
    assert.ok(task, `no ${f.task} entry runs ${f.name}`);
    assert.ok(catalogFiles().includes(f.file));
    const params = (task.parameters ?? []).map((p) => p.name);
    const vars = argVars((readObj(`${DIR}/${f.file}`).spec as FunctionSpec).args ?? []);
    assert.deepEqual(
      vars.filter((v) => !params.includes(v) && !OPERATOR_VARS.includes(v)),
      [],
    );
    assert.deepEqual(
      params.filter((p) => !vars.includes(p)),
      [],
    );
  });
}

// ---- kustomization and the make targets -----------------------------------------------------------

test('kubestash/kustomization.yaml lists every catalog file of the folder plus the job RBAC', () => {
  const k = kustomization(read(`${DIR}/kustomization.yaml`));
  assert.equal(k.kind, 'Kustomization');
  assert.deepEqual([...k.resources].sort(), [`../${RBAC_REL}`, ...catalogFiles()].sort());
  for (const r of k.resources) assert.ok(existsSync(join(REPO_ROOT, DIR, r)), r);
  const makefile = read('Makefile');
  assert.match(makefile, /^install-kubestash-catalog:/m);
  assert.match(makefile, /^uninstall-kubestash-catalog:/m);
  assert.match(makefile, /^\.PHONY:.* install-kubestash-catalog uninstall-kubestash-catalog /m);
});

const haveMake = spawnSync('make', ['--version']).status === 0;
// Locally a machine without make skips; in CI a missing make must fail, never pass as skipped.
if (!haveMake && process.env['CI'] === 'true')
  throw new Error('make is missing: the KubeStash catalog targets cannot be tested');
// The real kubectl (found before the stub shadows it), for an extra kustomize build where installed.
const realKubectl = spawnSync('bash', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
const haveKubectl = realKubectl !== '' && spawnSync(realKubectl, ['version', '--client']).status === 0;

interface MakeRun {
  status: number | null;
  stdout: string;
  stderr: string;
  // What the stub kubectl was given with -k, copied before make's trap removes it.
  applied: string;
}

// Runs a make target with kubectl replaced by a stub that prints its argv and copies the -k folder.
function runWithStub(target: string, extra: string[], applied: string): MakeRun {
  const bin = mkdtempSync(join(tmpdir(), 'stash-vault-kubectl-'));
  try {
    writeFileSync(
      join(bin, 'kubectl'),
      '#!/usr/bin/env bash\necho "kubectl $*"\nif [ "$2" = -k ]; then cp -R "$3"/. "$KUBECTL_CAPTURE"/; fi\n',
      { mode: 0o755 },
    );
    const r = spawnSync('make', ['--no-print-directory', target, ...extra], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, KUBECTL_CAPTURE: applied },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, applied };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

// The working-tree files the targets read; they must come out unchanged.
function treeFiles(): Map<string, string> {
  const rels = [...readdirSync(join(REPO_ROOT, DIR)).map((f) => `${DIR}/${f}`), RBAC_REL];
  return new Map(rels.map((r) => [r, read(r)]));
}

// The applied copy is one flat folder kustomize accepts: every resource a file inside it, every file
// listed, the Addon and the RBAC byte-for-byte the tree's, the Functions the tree's but for the image.
function assertAppliedCopy(dir: string, image: string): void {
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['kubestash-job-rbac.yaml', 'kustomization.yaml', ...catalogFiles()].sort());
  const k = kustomization(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
  for (const r of k.resources) assert.ok(!r.includes('/'), `${r}: kustomize refuses files outside its root`);
  assert.deepEqual(
    [...k.resources].sort(),
    files.filter((f) => f !== 'kustomization.yaml'),
  );
  assert.equal(readFileSync(join(dir, 'kubestash-job-rbac.yaml'), 'utf8'), read(RBAC_REL));
  assert.equal(readFileSync(join(dir, 'vault-addon.yaml'), 'utf8'), read(`${DIR}/vault-addon.yaml`));
  for (const f of FUNCTIONS) {
    const applied = load(readFileSync(join(dir, f.file), 'utf8')) as Obj;
    const tree = readObj(`${DIR}/${f.file}`);
    assert.equal((applied.spec as FunctionSpec).image, image, f.file);
    assert.deepEqual({ ...applied, spec: { ...(applied.spec as object), image: ourImage() } }, tree);
  }
}

describe('make install-kubestash-catalog / uninstall-kubestash-catalog (kubectl stubbed)', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'stash-vault-kubestash-applied-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));
  const capture = (name: string): string => mkdtempSync(join(work, `${name}-`));

  test(
    'IMAGE=… applies the catalog and the RBAC with that image, leaving the files unchanged',
    { skip: !haveMake },
    () => {
      const before = treeFiles();
      const image = 'registry.example.com/team/stash-vault:dev-1';
      const r = runWithStub('install-kubestash-catalog', [`IMAGE=${image}`], capture('image'));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^kubectl apply -k \S+$/m);
      assert.match(r.stdout, new RegExp(`^ {2}image: ${image.replace(/\./g, '\\.')}$`, 'm'));
      assertAppliedCopy(r.applied, image);
      assert.deepEqual(treeFiles(), before);
    },
  );

  test('without IMAGE it applies the image written in the Functions', { skip: !haveMake }, () => {
    const r = runWithStub('install-kubestash-catalog', [], capture('plain'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^kubectl apply -k \S+$/m);
    assertAppliedCopy(r.applied, ourImage());
  });

  test('uninstall deletes the same objects with -k … --ignore-not-found', { skip: !haveMake }, () => {
    const r = runWithStub('uninstall-kubestash-catalog', [], capture('delete'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^kubectl delete -k \S+ --ignore-not-found$/m);
    assertAppliedCopy(r.applied, ourImage());
  });

  // Only where kubectl is installed (CI does not install it); the stubbed tests above stand on their own.
  test(
    'the real kustomize builds the applied copy into the six objects',
    { skip: !haveMake || !haveKubectl },
    () => {
      const image = 'registry.example.com/team/stash-vault:dev-2';
      const r = runWithStub('install-kubestash-catalog', [`IMAGE=${image}`], capture('kustomize'));
      assert.equal(r.status, 0, r.stderr);
      const built = spawnSync(realKubectl, ['kustomize', r.applied], { encoding: 'utf8' });
      assert.equal(built.status, 0, built.stderr);
      const objs = loadAll(built.stdout) as Obj[];
      assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name ?? ''}`).sort(), [
        'Addon/vault-addon',
        'ClusterRole/stash-vault-kubestash-backup-job',
        'ClusterRole/stash-vault-kubestash-force-restore',
        'ClusterRole/stash-vault-kubestash-restore-job',
        'Function/vault-backup',
        'Function/vault-restore',
      ]);
      for (const o of objs.filter((x) => x.kind === 'Function'))
        assert.equal((o.spec as FunctionSpec).image, image);
    },
  );
});

// ---- job RBAC -------------------------------------------------------------------------------------

const KS_CORE = 'core.kubestash.com';
const KS_STORAGE = 'storage.kubestash.com';
const APPCATALOG = 'appcatalog.appscode.com';
// "verb group resource" with `core` for the "" group: exactly what each ClusterRole must grant.
const GRANTS: Record<string, string[]> = {
  'stash-vault-kubestash-backup-job': [
    `get ${KS_CORE} backupsessions`,
    `get ${KS_CORE} backupconfigurations`,
    `get ${KS_STORAGE} snapshots`,
    `get ${KS_STORAGE} repositories`,
    `get ${KS_STORAGE} backupstorages`,
    `patch ${KS_STORAGE} snapshots/status`,
    `get ${APPCATALOG} appbindings`,
    'get core secrets',
    'get core pods',
  ],
  'stash-vault-kubestash-restore-job': [
    `get ${KS_CORE} restoresessions`,
    `patch ${KS_CORE} restoresessions/status`,
    `get ${KS_STORAGE} snapshots`,
    `list ${KS_STORAGE} snapshots`,
    `get ${KS_STORAGE} repositories`,
    `get ${KS_STORAGE} backupstorages`,
    `get ${APPCATALOG} appbindings`,
    'get core secrets',
    'get core pods',
  ],
  // As deploy/force-restore-rbac.yaml for Stash: create-or-patch of the unseal-key Secret.
  'stash-vault-kubestash-force-restore': ['get core secrets', 'create core secrets', 'patch core secrets'],
};
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

// Every "verb group resource" a ClusterRole's rules grant.
function grantsOf(rules: Rule[]): string[] {
  const out = rules.flatMap((r) =>
    (r.apiGroups ?? []).flatMap((g) =>
      (r.resources ?? []).flatMap((res) =>
        (r.verbs ?? []).map((v) => `${v} ${g === '' ? 'core' : g} ${res}`),
      ),
    ),
  );
  return [...new Set(out)].sort();
}

function rbacDocs(): KubeObject[] {
  return loadManifests(RBAC_FILE);
}

// The commented example at the end of the file, uncommented.
function exampleDocs(): KubeObject[] {
  const lines = readFileSync(RBAC_FILE, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('# apiVersion: '));
  assert.ok(start > 0, 'no commented example (a line "# apiVersion: …")');
  const rest = lines.slice(start).filter((l) => l !== '');
  assert.ok(
    rest.every((l) => l.startsWith('#')),
    'the example must stay the commented end of the file',
  );
  return parseManifests(rest.map((l) => l.replace(/^# ?/, '')).join('\n'), 'example');
}

test(`${RBAC_REL}: exactly three ClusterRoles, cluster-scoped, and nothing else applied`, () => {
  const docs = rbacDocs();
  assert.deepEqual(
    docs.map((d) => `${d.apiVersion} ${d.kind} ${d.metadata.name}`),
    Object.keys(GRANTS).map((n) => `rbac.authorization.k8s.io/v1 ClusterRole ${n}`),
  );
  for (const d of docs) assert.equal(d.metadata.namespace, undefined);
});

for (const [name, want] of Object.entries(GRANTS)) {
  test(`${name} grants exactly its ${String(want.length)} verb/resource pairs, no wildcard or name list`, () => {
    const role = rbacDocs().find((d) => d.metadata.name === name);
    assert.ok(role, `${name} missing`);
    const rules = role['rules'] as Rule[];
    assert.deepEqual(grantsOf(rules), [...want].sort());
    for (const r of rules) {
      assert.equal(r.resourceNames, undefined, 'resourceNames would break create and list');
      assert.equal(r.nonResourceURLs, undefined);
      assert.ok(![...(r.apiGroups ?? []), ...(r.resources ?? []), ...(r.verbs ?? [])].includes('*'));
    }
  });
}

test('the commented example binds ServiceAccounts in demo to exactly these ClusterRoles', () => {
  const example = exampleDocs();
  assert.deepEqual(
    example.map((d) => d.kind),
    ['ServiceAccount', 'ServiceAccount', 'RoleBinding', 'RoleBinding', 'RoleBinding'],
  );
  const refs = example
    .filter((d) => d.kind === 'RoleBinding')
    .map((d) => d['roleRef'] as { apiGroup: string; kind: string; name: string });
  assert.deepEqual(refs.map((r) => r.name).sort(), Object.keys(GRANTS).sort());
  for (const r of refs) assert.deepEqual([r.apiGroup, r.kind], ['rbac.authorization.k8s.io', 'ClusterRole']);
  for (const d of example) assert.equal(d.metadata.namespace, 'demo');
});

describe('the job RBAC on the Kubernetes emulator (serving the KubeStash CRDs)', () => {
  const NS = 'demo';
  let kube: KubeEmulator;
  let agent: Agent;
  before(async () => {
    kube = await startKubeEmulator({ crdDir: CRDS });
    agent = new Agent({ connect: { ca: kube.caPem } });
  });
  after(async () => {
    await agent.close();
    await kube.close();
  });

  // `kubectl auth can-i` as `token`: a SelfSubjectAccessReview for "verb group resource[/sub]".
  async function canI(token: string, grant: string, namespace = NS): Promise<boolean> {
    const [verb = '', group = '', combined = ''] = grant.split(' ');
    const [resource = '', subresource = ''] = combined.split('/');
    const res = await request(`${kube.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            namespace,
            verb,
            group: group === 'core' ? '' : group,
            resource,
            ...(subresource !== '' ? { subresource } : {}),
          },
        },
      }),
    });
    const text = await res.body.text();
    assert.equal(res.statusCode, 201, text);
    return (JSON.parse(text) as { status: { allowed: boolean } }).status.allowed;
  }

  // Every verb on every resource the role names, each answered as the role says and no more.
  async function assertExactly(token: string, granted: string[], namespace = NS): Promise<void> {
    const resources = [...new Set(granted.map((g) => g.split(' ').slice(1).join(' ')))];
    for (const r of resources)
      for (const verb of VERBS) {
        const grant = `${verb} ${r}`;
        assert.equal(
          await canI(token, grant, namespace),
          granted.includes(grant),
          `${grant} in ${namespace}`,
        );
      }
  }

  test('the ClusterRoles and the uncommented example apply; the job gets exactly what it needs', async () => {
    for (const obj of rbacDocs()) {
      const stored = kube.put(obj);
      assert.deepEqual(stored['rules'], obj['rules']);
    }
    const example = exampleDocs();
    const force = example.find(
      (d) => (d['roleRef'] as { name?: string } | undefined)?.name === 'stash-vault-kubestash-force-restore',
    );
    assert.ok(force);
    for (const obj of example.filter((d) => d !== force)) kube.put(obj);
    const backup = kube.addUser(`system:serviceaccount:${NS}:vault-kubestash-backup`);
    const restore = kube.addUser(`system:serviceaccount:${NS}:vault-kubestash-restore`);
    const backupGrants = GRANTS['stash-vault-kubestash-backup-job'] ?? [];
    const restoreGrants = GRANTS['stash-vault-kubestash-restore-job'] ?? [];
    await assertExactly(backup, backupGrants);
    await assertExactly(restore, restoreGrants);
    // The backup job never writes RestoreSessions, Secrets or BackupSessions; the restore job no Snapshot.
    assert.equal(await canI(backup, `patch ${KS_CORE} restoresessions/status`), false);
    assert.equal(await canI(backup, `patch ${KS_CORE} backupsessions/status`), false);
    assert.equal(await canI(restore, `patch ${KS_STORAGE} snapshots/status`), false);
    // A RoleBinding grants in its own namespace only.
    assert.equal(await canI(restore, 'get core secrets', 'other'), false);
    // The force-restore binding adds create and patch on Secrets, nothing else.
    kube.put(force);
    await assertExactly(restore, [...restoreGrants, 'create core secrets', 'patch core secrets']);
  });

  test('the catalog objects are accepted by the KubeStash CRD schemas, nothing pruned', () => {
    for (const file of catalogFiles()) {
      const obj = readObj(`${DIR}/${file}`) as unknown as KubeObject;
      const stored = kube.put(obj);
      assert.deepEqual(stored['spec'], obj['spec'], file);
      assert.deepEqual(kube.get(obj.apiVersion, obj.kind, '', obj.metadata.name)?.['spec'], obj['spec']);
    }
  });
});
