// The catalog (functions/, tasks/, kustomization.yaml, deploy/): CRD-valid, drop-in compatible with the
// upstream vault-1.10.3 catalog, and every Function arg accepted by our parser under Stash expansion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { parseArgs } from '../../src/config/parse-args.ts';
import { UsageError } from '../../src/errors.ts';
import { expandStash } from '../helpers/expand.ts';
import { REPO_ROOT, SHARED, UPSTREAM_CATALOG } from '../helpers/paths.ts';
import { loadCrdSchema, validate } from './schema.ts';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string };
  spec: unknown;
}
interface FunctionSpec {
  image?: string;
  args?: string[];
  runtimeSettings?: { securityContext?: Record<string, unknown> };
}
interface TaskSpec {
  steps: { name: string; params?: { name: string; value: string }[] }[];
}

const IMAGE = 'ghcr.io/stash-vault/stash-vault:0.1.0';

function yamlFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `${dir}/${f}`);
}
function readObj(rel: string): Obj {
  return load(readFileSync(join(REPO_ROOT, rel), 'utf8')) as Obj;
}
function upstream(file: string): Obj {
  return load(readFileSync(join(UPSTREAM_CATALOG, file), 'utf8')) as Obj;
}
const FUNCTION_FILES = yamlFiles('functions');
const TASK_FILES = yamlFiles('tasks');
const fn = (name: string): FunctionSpec => readObj(`functions/${name}.yaml`).spec as FunctionSpec;
const task = (name: string): TaskSpec => readObj(`tasks/${name}.yaml`).spec as TaskSpec;

const PAIRS = [
  { ours: 'vault-backup-1.10.3', fnFile: 'vault-backup-function.yaml', taskFile: 'vault-backup-task.yaml' },
  {
    ours: 'vault-restore-1.10.3',
    fnFile: 'vault-restore-function.yaml',
    taskFile: 'vault-restore-task.yaml',
  },
] as const;

test('the catalog holds exactly the two Functions and two Tasks', () => {
  assert.deepEqual(FUNCTION_FILES.sort(), [
    'functions/vault-backup-1.10.3.yaml',
    'functions/vault-restore-1.10.3.yaml',
  ]);
  assert.deepEqual(TASK_FILES.sort(), ['tasks/vault-backup-1.10.3.yaml', 'tasks/vault-restore-1.10.3.yaml']);
});

test('the strict validator rejects unknown fields, wrong types and missing required fields', () => {
  const { schema } = loadCrdSchema(join(SHARED, 'crds', 'stash.appscode.com_functions.yaml'), 'v1beta1');
  const bad = {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Function',
    spec: { image: 1, runtimeSettings: { securityContext: { readOnlyRootFileSystem: true } }, ports: [{}] },
  };
  const errs = validate(bad, schema);
  assert.ok(
    errs.some((e) => e.startsWith('spec.image: must be of type string')),
    errs.join('\n'),
  );
  assert.ok(
    errs.includes('spec.runtimeSettings.securityContext.readOnlyRootFileSystem: unknown field'),
    errs.join('\n'),
  );
  assert.ok(errs.includes('spec.ports[0].containerPort: required'), errs.join('\n'));
});

for (const [dir, crdFile] of [
  ['functions', 'stash.appscode.com_functions.yaml'],
  ['tasks', 'stash.appscode.com_tasks.yaml'],
] as const) {
  for (const rel of yamlFiles(dir)) {
    test(`${rel} validates against the ${crdFile} schema`, () => {
      const { apiVersion, kind, schema } = loadCrdSchema(join(SHARED, 'crds', crdFile), 'v1beta1');
      const docs = loadAll(readFileSync(join(REPO_ROOT, rel), 'utf8')) as Obj[];
      assert.equal(docs.length, 1);
      const obj = docs[0] as Obj;
      assert.equal(obj.apiVersion, apiVersion);
      assert.equal(obj.kind, kind);
      // metadata is validated by the apiserver itself; cluster-scoped, so a name and no namespace.
      assert.equal(obj.metadata.name, rel.replace(/^.*\//, '').replace(/\.yaml$/, ''));
      assert.equal(obj.metadata.namespace, undefined);
      const rest: Record<string, unknown> = { ...obj };
      delete rest['metadata'];
      assert.deepEqual(validate(rest, schema), []);
    });
  }
}

for (const p of PAIRS) {
  test(`${p.ours}: every upstream arg is present verbatim, in the same order, and nothing else`, () => {
    const theirs = upstream(p.fnFile);
    assert.equal(theirs.metadata.name, p.ours);
    const raw = readFileSync(join(REPO_ROOT, 'functions', `${p.ours}.yaml`), 'utf8');
    const upArgs = (theirs.spec as FunctionSpec).args ?? [];
    assert.ok(upArgs.length > 20);
    for (const a of upArgs) assert.ok(raw.includes(`- ${a}\n`), `missing verbatim: ${a}`);
    assert.deepEqual(fn(p.ours).args, upArgs);
  });

  test(`${p.ours}: Task steps are our Function then update-status, both with outputDir`, () => {
    const ours = task(p.ours);
    assert.deepEqual(ours, upstream(p.taskFile).spec);
    const shipped = new Set(FUNCTION_FILES.map((f) => f.replace(/^functions\/(.*)\.yaml$/, '$1')));
    assert.deepEqual(
      ours.steps.map((s) => s.name),
      [p.ours, 'update-status'],
    );
    for (const s of ours.steps) {
      assert.ok(shipped.has(s.name) || s.name === 'update-status', `unknown Function ${s.name}`);
      assert.deepEqual(s.params, [{ name: 'outputDir', value: '/stash-tmp/output' }]);
    }
  });
}

test('both Functions carry the same image, which is ours, not upstream', () => {
  const images = FUNCTION_FILES.map((f) => (readObj(f).spec as FunctionSpec).image);
  assert.deepEqual(
    images,
    images.map(() => IMAGE),
  );
  // Exactly one image: line per Function: `make install-catalog IMAGE=…` rewrites that line.
  for (const f of FUNCTION_FILES) {
    assert.equal(readFileSync(join(REPO_ROOT, f), 'utf8').match(/^ {2}image: /gm)?.length, 1, f);
  }
  const makefile = readFileSync(join(REPO_ROOT, 'Makefile'), 'utf8');
  assert.match(makefile, /^install-catalog:/m);
  assert.match(makefile, /s#\^\( {2}image: \)\.\*#/);
});

test('backup Function: read-only root fs, non-root, no privilege escalation, all capabilities dropped', () => {
  assert.deepEqual(fn('vault-backup-1.10.3').runtimeSettings?.securityContext, {
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  });
});

test('restore Function: same hardening but no runAsNonRoot (Stash runs restore pods as root)', () => {
  const sc: Record<string, unknown> | undefined = fn('vault-restore-1.10.3').runtimeSettings?.securityContext;
  assert.deepEqual(sc, {
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  });
  assert.ok(!Object.hasOwn(sc ?? {}, 'runAsNonRoot'));
});

test('kustomization.yaml lists every Function and Task and not the per-namespace RBAC', () => {
  const k = load(readFileSync(join(REPO_ROOT, 'kustomization.yaml'), 'utf8')) as {
    kind: string;
    resources: string[];
  };
  assert.equal(k.kind, 'Kustomization');
  assert.deepEqual([...k.resources].sort(), [...FUNCTION_FILES, ...TASK_FILES].sort());
  assert.ok(!k.resources.some((r) => r.startsWith('deploy/')));
});

test('deploy/force-restore-rbac.yaml grants get/create/patch on secrets to a ServiceAccount in demo', () => {
  interface Rbac {
    kind: string;
    metadata: { name: string; namespace?: string };
    rules?: unknown;
    roleRef?: unknown;
    subjects?: { kind: string; name: string; namespace?: string }[];
  }
  const docs = loadAll(readFileSync(join(REPO_ROOT, 'deploy', 'force-restore-rbac.yaml'), 'utf8')) as Rbac[];
  const role = docs.find((d) => d.kind === 'Role');
  const binding = docs.find((d) => d.kind === 'RoleBinding');
  assert.ok(role && binding);
  assert.equal(role.metadata.namespace, 'demo');
  assert.equal(binding.metadata.namespace, 'demo');
  assert.deepEqual(role.rules, [
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'patch'] },
  ]);
  assert.deepEqual(binding.roleRef, {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Role',
    name: role.metadata.name,
  });
  const subject = binding.subjects?.[0];
  assert.equal(subject?.kind, 'ServiceAccount');
  assert.match(subject.name, /^restoresession-.+-0$/);
  assert.equal(subject.namespace, 'demo');
});

// ---- Stash expansion × our parser ----------------------------------------------------------------

// Realistic values for every variable the Functions reference (stash-contract §1.4).
const REALISTIC: Record<string, string> = {
  REPOSITORY_PROVIDER: 's3',
  REPOSITORY_BUCKET: 'stash-backups',
  REPOSITORY_ENDPOINT: 'https://minio.minio.svc:9000',
  REPOSITORY_INSECURE_TLS: 'false',
  REPOSITORY_REGION: 'us-east-1',
  REPOSITORY_PREFIX: 'demo/vault',
  REPOSITORY_SECRET_NAME: 'minio-secret',
  REPOSITORY_SECRET_NAMESPACE: 'demo',
  ENABLE_CACHE: 'true',
  MAX_CONNECTIONS: '0',
  HOSTNAME: 'host-0',
  SOURCE_HOSTNAME: 'host-0',
  args: '-client-timeout=60s',
  waitTimeout: '600',
  NAMESPACE: 'demo',
  TARGET_NAME: 'vault',
  TARGET_NAMESPACE: 'demo',
  INTERIM_DATA_DIR: '/stash-tmp/stash-interim-volume/data',
  BACKUP_SESSION: 'vault-backup-1718000000',
  RESTORE_SNAPSHOTS: 'a1b2c3d4',
  RETENTION_KEEP_LAST: '5',
  RETENTION_KEEP_HOURLY: '0',
  RETENTION_KEEP_DAILY: '7',
  RETENTION_KEEP_WEEKLY: '4',
  RETENTION_KEEP_MONTHLY: '12',
  RETENTION_KEEP_YEARLY: '1',
  RETENTION_KEEP_TAGS: 'daily,weekly',
  RETENTION_PRUNE: 'true',
  RETENTION_DRY_RUN: 'false',
  outputDir: '/stash-tmp/output',
  LICENSE_APISERVICE: 'v1beta1.validators.license.bytebuilders.dev',
  keyPrefix: 'vault',
  oldKeyPrefix: 'vault-old',
  force: 'true',
};
// Keys Stash always sets for a Repository with a storage secret and an AppBinding target.
const ALWAYS = [
  'INTERIM_DATA_DIR',
  'REPOSITORY_PROVIDER',
  'REPOSITORY_SECRET_NAME',
  'REPOSITORY_SECRET_NAMESPACE',
  'TARGET_NAME',
];
const pick = (keys: readonly string[], value?: string): Record<string, string> =>
  Object.fromEntries(keys.map((k) => [k, value ?? REALISTIC[k] ?? '']));

function varsOf(args: readonly string[]): string[] {
  return [...new Set(args.flatMap((a) => [...a.matchAll(/\$\{([A-Za-z_]\w*)/g)].map((m) => m[1] ?? '')))];
}
function expandAll(args: readonly string[], vars: Record<string, string>): string[] {
  return args.map((a) => expandStash(a, vars));
}
function assertNoFlagWarnings(warnings: readonly string[]): void {
  assert.deepEqual(
    warnings.filter((w) => /unknown flag|is not used by/.test(w)),
    [],
  );
}

test('the unknown-flag check can fail: a flag we do not know is reported', () => {
  const args = expandAll(fn('vault-backup-1.10.3').args ?? [], REALISTIC);
  const { warnings } = parseArgs([...args, '--no-such-flag=1']);
  assert.ok(
    warnings.some((w) => w.startsWith('unknown flag --no-such-flag')),
    warnings.join('\n'),
  );
});

for (const p of PAIRS) {
  const args = (): string[] => fn(p.ours).args ?? [];

  test(`${p.ours}: realistic values for every variable parse with no flag warnings`, () => {
    for (const v of varsOf(args())) assert.ok(Object.hasOwn(REALISTIC, v), `no realistic value for ${v}`);
    const { config, warnings } = parseArgs(expandAll(args(), REALISTIC));
    assertNoFlagWarnings(warnings);
    assert.equal(config.command, p.ours.startsWith('vault-backup') ? 'backup-vault' : 'restore-vault');
    assert.equal(config.repository.provider, 's3');
    assert.equal(config.repository.scratchDir, '/stash-tmp');
    assert.equal(config.outputDir, '/stash-tmp/output');
    assert.equal(config.appBindingName, 'vault');
    assert.equal(config.waitTimeoutMs, 600_000);
  });

  test(`${p.ours}: absent optional variables (defaults) parse with no flag warnings`, () => {
    const { config, warnings } = parseArgs(expandAll(args(), pick(ALWAYS)));
    assertNoFlagWarnings(warnings);
    assert.equal(config.namespace, 'default');
    assert.equal(config.waitTimeoutMs, 300_000);
    assert.equal(config.repository.enableCache, true);
  });

  test(`${p.ours}: present-but-empty optional variables parse with no flag warnings`, () => {
    const empty = { ...pick(varsOf(args()), ''), ...pick(ALWAYS) };
    const { config, warnings } = parseArgs(expandAll(args(), empty));
    assertNoFlagWarnings(warnings);
    assert.equal(config.hostname, '');
    assert.equal(config.outputDir, '');
  });

  for (const [label, vars] of [
    ['absent', { INTERIM_DATA_DIR: REALISTIC['INTERIM_DATA_DIR'] ?? '' }],
    ['present but empty', pick(varsOf(args()), '')],
  ] as const) {
    test(`${p.ours}: required variables ${label} → UsageError naming the required flags`, () => {
      assert.throws(
        () => parseArgs(expandAll(args(), vars)),
        (err: unknown) => {
          assert.ok(err instanceof UsageError);
          for (const f of ['provider', 'storage-secret-name', 'storage-secret-namespace', 'appbinding']) {
            assert.ok(err.problems.includes(`--${f} is required`), err.problems.join('; '));
          }
          assert.ok(!err.problems.some((x) => /unknown flag/.test(x)));
          return true;
        },
      );
    });
  }
}
