// `make mutations`: makes one deliberate bug at a time in a scratch copy of the tree, builds it, runs the
// tests that are meant to catch it and prints whether they did. A mutation whose text no longer matches
// the source fails the run, so the table cannot silently go stale.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, SHARED, TOOLS } from '../helpers/paths.ts';
import { MUTATIONS, type Mutation } from './mutations.ts';

const only = process.env['MUTATIONS']?.split(',').map((s) => s.trim());
const COPIED = ['src', 'test', 'scripts', 'package.json', 'tsconfig.json', 'functions', 'tasks'];

function scratchTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stash-vault-mutant-'));
  for (const p of COPIED) cpSync(join(REPO_ROOT, p), join(dir, p), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function mutate(dir: string, m: Mutation): void {
  const file = join(dir, m.file);
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(m.find);
  if (at === -1 || text.indexOf(m.find, at + 1) !== -1)
    throw new Error(`mutation "${m.name}" does not match ${m.file} exactly once: update test/mutations`);
  writeFileSync(file, text.slice(0, at) + m.replace + text.slice(at + m.find.length));
}

function runTests(
  dir: string,
  m: Pick<Mutation, 'id' | 'tests' | 'pattern'>,
): { caught: boolean; failed: string[] } {
  const args = ['--test', '--test-reporter=spec', '--test-concurrency=1'];
  if (m.pattern !== undefined) args.push(`--test-name-pattern=${m.pattern}`);
  const r = spawnSync(process.execPath, [...args, ...m.tests], {
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
  const logDir = join(REPO_ROOT, 'bench-results', 'mutations');
  mkdirSync(logDir, { recursive: true });
  writeFileSync(join(logDir, `${m.id}.log`), r.stdout + r.stderr);
  const failed = [...r.stdout.matchAll(/^\s{2,}✖ (.+?) \(\d/gm)].map((x) => x[1] ?? '');
  // Only a named test that failed counts: a run that broke in setup proves nothing.
  return { caught: r.status !== 0 && failed.length > 0, failed: [...new Set(failed)] };
}

function build(dir: string): void {
  execFileSync(process.execPath, [join(dir, 'scripts', 'build.ts')], { cwd: dir, stdio: 'ignore' });
}

// The same tests on the unchanged tree must pass, or a "caught" would mean nothing.
const controlled = new Set<string>();
function control(m: Mutation): void {
  const key = JSON.stringify([m.tests, m.pattern]);
  if (controlled.has(key)) return;
  const dir = scratchTree();
  build(dir);
  const r = runTests(dir, {
    id: `control-${m.id}`,
    tests: m.tests,
    ...(m.pattern !== undefined ? { pattern: m.pattern } : {}),
  });
  rmSync(dir, { recursive: true, force: true });
  if (r.failed.length > 0)
    throw new Error(`control run for ${m.id} fails without any mutation: ${r.failed.join('; ')}`);
  controlled.add(key);
}

const rows: Array<{ name: string; caught: boolean; by: string }> = [];
for (const m of MUTATIONS.filter((x) => only === undefined || only.includes(x.id))) {
  if (process.env['MUTATIONS_NO_CONTROL'] !== '1') control(m);
  const dir = scratchTree();
  mutate(dir, m);
  build(dir);
  const { caught, failed } = runTests(dir, m);
  rows.push({ name: `${m.id}: ${m.name}`, caught, by: failed.slice(0, 3).join('; ') });
  console.log(
    `${caught ? 'caught ' : 'MISSED '} ${m.id}: ${m.name}${caught ? ` — by: ${failed.slice(0, 3).join('; ')}` : ''}`,
  );
  rmSync(dir, { recursive: true, force: true });
}
const missed = rows.filter((r) => !r.caught);
console.log(`\n${rows.length - missed.length} of ${rows.length} mutations caught`);
process.exitCode = missed.length > 0 ? 1 : 0;
