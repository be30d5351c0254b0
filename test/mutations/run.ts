// `make mutations`: makes one deliberate bug at a time in a scratch copy of the tree, builds it, runs the
// tests that are meant to catch it and prints whether they did. The same tests on the unchanged tree must
// pass first (a control run), and a mutation whose text no longer matches the source fails the run, so
// the table cannot silently go stale. MUTATIONS=id,id limits the run.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, SHARED, TOOLS } from '../helpers/paths.ts';
import { MUTATIONS, type Mutation } from './mutations.ts';

const only = process.env['MUTATIONS']?.split(',').map((s) => s.trim());
const COPIED = ['src', 'test', 'scripts', 'package.json', 'tsconfig.json', 'functions', 'tasks', 'deploy'];
const LOGS = join(REPO_ROOT, 'bench-results', 'mutations');

interface Outcome {
  caught: boolean;
  by: string[];
}

function scratchTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stash-vault-mutant-'));
  for (const p of COPIED) cpSync(join(REPO_ROOT, p), join(dir, p), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(dir, 'scripts', 'build.ts')], { cwd: dir, stdio: 'ignore' });
  return dir;
}

function mutate(dir: string, m: Mutation): void {
  const file = join(dir, m.file);
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(m.find);
  if (at === -1 || text.indexOf(m.find, at + 1) !== -1)
    throw new Error(`mutation ${m.id} does not match ${m.file} exactly once: update test/mutations`);
  writeFileSync(file, text.slice(0, at) + m.replace + text.slice(at + m.find.length));
  execFileSync(process.execPath, [join(dir, 'scripts', 'build.ts')], { cwd: dir, stdio: 'ignore' });
}

function run(dir: string, m: Mutation, log: string): Outcome {
  const args = m.script === true ? m.tests : ['--test', '--test-reporter=spec', ...testNames(m), ...m.tests];
  const r = spawnSync(process.execPath, args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      CI: 'true',
      STASH_VAULT_SHARED_DIR: SHARED,
      STASH_VAULT_CRD_DIR: join(SHARED, 'crds'),
      STASH_VAULT_TOOLS: TOOLS,
    },
    maxBuffer: 1 << 28,
  });
  mkdirSync(LOGS, { recursive: true });
  writeFileSync(join(LOGS, `${log}.log`), r.stdout + r.stderr);
  if (m.script === true)
    return { caught: r.status !== 0, by: [`${m.tests.join(' ')} exit ${String(r.status)}`] };
  // Only a named test that failed counts: a run that broke in setup proves nothing. Top-level tests are
  // not indented; the summary's "✖ failing tests:" line has no duration and does not match.
  const failed = [...new Set([...r.stdout.matchAll(/^\s*✖ (.+?) \(\d/gm)].map((x) => x[1] ?? ''))];
  return { caught: r.status !== 0 && failed.length > 0, by: failed };
}

function testNames(m: Mutation): string[] {
  return m.pattern !== undefined ? [`--test-name-pattern=${m.pattern}`] : [];
}

const controlled = new Set<string>();
const rows: Array<{ id: string; name: string; caught: boolean; by: string }> = [];
for (const m of MUTATIONS.filter((x) => only === undefined || only.includes(x.id))) {
  const key = JSON.stringify([m.tests, m.pattern, m.script]);
  if (!controlled.has(key)) {
    const dir = scratchTree();
    const control = run(dir, m, `control-${m.id}`);
    rmSync(dir, { recursive: true, force: true });
    if (m.script === true ? control.caught : control.by.length > 0)
      throw new Error(`control run for ${m.id} fails without any mutation: ${control.by.join('; ')}`);
    controlled.add(key);
  }
  const dir = scratchTree();
  mutate(dir, m);
  const { caught, by } = run(dir, m, m.id);
  rmSync(dir, { recursive: true, force: true });
  rows.push({ id: m.id, name: m.name, caught, by: by.slice(0, 3).join('; ') });
  console.log(
    `${caught ? 'caught' : 'MISSED'}  ${m.id}: ${m.name}${caught ? ` — by: ${by.slice(0, 3).join('; ')}` : ''}`,
  );
}
const missed = rows.filter((r) => !r.caught);
console.log(`\n${rows.length - missed.length} of ${rows.length} mutations caught`);
mkdirSync(LOGS, { recursive: true });
writeFileSync(join(LOGS, 'table.json'), JSON.stringify(rows, null, 2));
process.exitCode = missed.length > 0 ? 1 : 0;
