// The Dockerfile cannot be built here (no Docker engine), so its shape is checked as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_NODE_FLAGS, CLI_RUNTIME_ENV, REPO_ROOT } from '../helpers/paths.ts';

interface Instr {
  op: string;
  arg: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instrs: Instr[];
}

// Joins `\` continuations, drops comments, splits into stages at FROM.
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/s.exec(line);
    if (!m) continue;
    const op = (m[1] ?? '').toUpperCase();
    const arg = m[2] ?? '';
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(arg);
      const image = (f?.[1] ?? '').replace(/\$\{(\w+)\}/g, (_s, n: string) => args.get(n) ?? '');
      stages.push({ from: image, name: f?.[2], instrs: [] });
    } else if (stages.length === 0 && op === 'ARG') {
      const [k, v] = arg.split('=');
      args.set(k ?? '', v ?? '');
    } else stages.at(-1)?.instrs.push({ op, arg });
  }
  return { args, stages };
}

const { stages } = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const final = stages.at(-1) as Stage;
const all = (s: Stage, op: string): string[] => s.instrs.filter((i) => i.op === op).map((i) => i.arg);

test('multi-stage with a Node 24 build stage that builds and prunes dev dependencies', () => {
  assert.ok(stages.length >= 2, `${stages.length} FROM`);
  const build = stages.find((s) => /^node:24[.-]/.test(s.from));
  assert.ok(build, stages.map((s) => s.from).join(', '));
  const runs = all(build, 'RUN').join('\n');
  assert.match(runs, /npm ci\b/);
  assert.match(runs, /npm run build/);
  assert.match(runs, /npm prune --omit=dev/);
});

test('final stage: distroless Node 24, restic/app copied in, non-root, no curl, TMPDIR under /stash-tmp', () => {
  assert.match(final.from, /^gcr\.io\/distroless\/nodejs24-debian1\d(:nonroot)?$/);
  const copies = all(final, 'COPY').join('\n');
  for (const p of ['./dist', './node_modules', './package.json']) assert.ok(copies.includes(p), `COPY ${p}`);
  assert.equal(all(final, 'RUN').length, 0, 'distroless has no shell: no RUN in the final stage');
  assert.doesNotMatch(final.instrs.map((i) => `${i.op} ${i.arg}`).join('\n'), /curl/i);
  const users = all(final, 'USER');
  assert.equal(users.length, 1);
  const uid = Number((users[0] ?? '').split(':')[0]);
  assert.ok(Number.isInteger(uid) && uid > 0, `USER ${users[0]}`);
  const env = all(final, 'ENV').join(' ');
  assert.match(env, /(^|\s)TMPDIR=\/stash-tmp(\/|\s|$)/);
  // The tests run the CLI with the image's runtime environment.
  for (const [k, v] of Object.entries(CLI_RUNTIME_ENV))
    assert.match(env, new RegExp(`(^|\\s)${k}=${v}(\\s|$)`));
});

test('restic 0.18 comes from the Debian trixie package and lands at /usr/local/bin/restic', () => {
  const text = stages.map((s) => s.instrs.map((i) => `${i.op} ${i.arg}`).join('\n')).join('\n');
  const restic = stages.find((s) => all(s, 'RUN').some((r) => /apt-get .*download restic/.test(r)));
  assert.ok(restic, 'a stage runs apt-get download restic');
  const runs = all(restic, 'RUN').join('\n');
  assert.match(runs, /Suites: trixie/);
  assert.match(runs, /dpkg -x /);
  assert.match(runs, /\/usr\/local\/bin\/restic/);
  assert.match(runs, /0\\?\.18/);
  assert.match(text, new RegExp(`COPY --from=${restic.name} `));
});

test('setpriv and its libcap-ng are copied for --pdeathsig', () => {
  const sp = stages.find((s) => all(s, 'RUN').some((r) => r.includes('/usr/bin/setpriv')));
  assert.ok(sp);
  assert.match(all(sp, 'RUN').join('\n'), /libcap-ng/);
  assert.ok(all(final, 'COPY').some((c) => c.startsWith(`--from=${sp.name} `)));
});

test('ENTRYPOINT is the node CLI in exec form', () => {
  const eps = all(final, 'ENTRYPOINT');
  assert.equal(eps.length, 1);
  const ep = JSON.parse(eps[0] ?? '') as string[];
  assert.deepEqual(
    ep,
    ['/nodejs/bin/node', ...CLI_NODE_FLAGS, '/app/dist/cli.js'],
    'the tests run the CLI as the image does',
  );
  assert.equal(all(final, 'CMD').length, 0, 'Stash supplies the args');
});

test('.dockerignore excludes node_modules, .git, dist and local tool folders', () => {
  const entries = new Set(
    readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim().replace(/^\/|\/$/g, ''))
      .filter((l) => l !== '' && !l.startsWith('#')),
  );
  for (const e of ['node_modules', '.git', 'dist', '.tools', 'test']) assert.ok(entries.has(e), e);
  assert.ok(!entries.has('src') && !entries.has('package-lock.json'), 'build inputs must not be ignored');
});
