// scripts/image-rootfs.sh: the image's runtime layout, assembled without Docker, actually runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, TOOLS } from '../helpers/paths.ts';

const haveTools = existsSync(join(TOOLS, 'restic-0.18', 'usr', 'bin', 'restic'));
// Locally, missing tools skip; in CI they must fail (the script itself exits 1 without restic).
const skip =
  !haveTools && process.env['CI'] !== 'true'
    ? 'run scripts/setup-tools.sh first (.tools/restic-0.18 missing)'
    : false;

let base = '';
let out = '';

function chmodTree(p: string, mode: (m: number) => number): void {
  const st = lstatSync(p);
  if (st.isSymbolicLink()) return;
  chmodSync(p, mode(st.mode & 0o7777));
  if (st.isDirectory()) for (const e of readdirSync(p)) chmodTree(join(p, e), mode);
}

before(() => {
  if (skip !== false) return;
  base = mkdtempSync(join(tmpdir(), 'stash-vault-rootfs-'));
  out = join(base, 'rootfs');
  execFileSync('bash', [join(REPO_ROOT, 'scripts', 'image-rootfs.sh'), out], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env['PATH'] ?? ''}` },
  });
});

after(() => {
  if (base === '') return;
  if (existsSync(out)) chmodTree(out, (m) => m | 0o200);
  rmSync(base, { recursive: true, force: true });
});

test('the CLI in the rootfs runs with only production dependencies', { skip }, () => {
  const r = spawnSync(process.execPath, [join(out, 'app', 'dist', 'cli.js'), 'version'], {
    cwd: base,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'stash-vault 0.1.0');
  const pkg = JSON.parse(readFileSync(join(out, 'app', 'package.json'), 'utf8')) as { version: string };
  assert.equal(pkg.version, '0.1.0');
});

test('node_modules holds the production dependencies and no devDependencies', { skip }, () => {
  const nm = join(out, 'app', 'node_modules');
  for (const dep of ['execa', 'undici', '@kubernetes/client-node', 'pino', 'minimist']) {
    assert.ok(existsSync(join(nm, dep, 'package.json')), `missing ${dep}`);
  }
  for (const dev of [
    'typescript',
    'eslint',
    'prettier',
    'typescript-eslint',
    '@eslint/js',
    'node',
    '@types/minimist',
  ]) {
    assert.ok(!existsSync(join(nm, dev)), `devDependency ${dev} shipped`);
  }
  // Every package the lockfile marks dev-only must be absent.
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const devOnly = Object.entries(lock.packages).filter(([p, v]) => p !== '' && v.dev === true);
  assert.ok(devOnly.length > 0);
  const shipped = devOnly.filter(([p]) => existsSync(join(out, 'app', p)));
  assert.deepEqual(
    shipped.map(([p]) => p),
    [],
  );
});

test('restic in the rootfs is 0.18', { skip }, () => {
  const r = spawnSync(join(out, 'usr', 'local', 'bin', 'restic'), ['version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^restic 0\.18\.\d+ /);
});

test('nothing in the rootfs is writable (mode bits, since tests may run as root)', { skip }, () => {
  const writable: string[] = [];
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o222) !== 0) writable.push(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(out);
  assert.deepEqual(writable.slice(0, 5), []);
  assert.ok(existsSync(join(out, 'app', 'dist', 'cli.js')));
});
