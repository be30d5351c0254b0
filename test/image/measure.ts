// Size and start-up of the built image (scripts/build-image.sh): compressed and uncompressed size, what
// the app adds to the base, the cloud SDKs' share of node_modules, and the cold start of `version` in a
// container. Prints a report; asserts nothing. Run: node test/image/measure.ts   (IMAGE=... for another)
import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { CLI_NODE_FLAGS } from '../helpers/paths.ts';
import { IMAGE, imageExists, podman, PODMAN_ENV, RUN_FLAGS } from './podman.ts';

const BASE = 'gcr.io/distroless/nodejs24-debian12:nonroot';
const RUNS = Number(process.env['MEASURE_RUNS'] ?? 5);
if (!imageExists()) throw new Error(`image ${IMAGE} missing: run scripts/build-image.sh`);

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

// The image as `podman save` writes it (docker-archive: a tar of the layer tars), and that tar gzipped,
// close to what a registry stores and a node pulls (each layer gzipped).
async function savedSizes(image: string): Promise<{ tar: number; gzip: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'image-measure-'));
  try {
    const tar = join(dir, 'image.tar');
    podman(['save', '--quiet', '--output', tar, image]);
    let gzip = 0;
    await pipeline(
      createReadStream(tar),
      createGzip(),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          gzip += chunk.length;
          cb();
        },
      }),
    );
    return { tar: statSync(tar).size, gzip };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Bytes of the files under a path (apparent size), not following symlinks.
function bytesUnder(path: string, skip: (p: string) => boolean = () => false): number {
  const s = lstatSync(path, { throwIfNoEntry: false });
  if (s === undefined || skip(path)) return 0;
  if (!s.isDirectory()) return s.isFile() ? s.size : 0;
  let total = 0;
  for (const n of readdirSync(path)) total += bytesUnder(join(path, n), skip);
  return total;
}

// Which of the app's direct dependencies pull in each installed package (Node's resolution: nested
// node_modules first, then each parent's), so every package's bytes go to the one group that needs it,
// or to "shared".
function dependencyShares(app: string): Map<string, number> {
  const pkgJson = (
    dir: string,
  ): { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> } =>
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as never;
  const resolve = (from: string, name: string): string | undefined => {
    for (let d = from; d.startsWith(app); d = join(d, '..')) {
      const candidate = join(d, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
      if (d === app) break;
    }
    return undefined;
  };
  const groupOf = (dep: string): string =>
    dep.startsWith('@aws-sdk/')
      ? 'AWS SDK'
      : dep.startsWith('@azure/')
        ? 'Azure SDK'
        : dep.startsWith('@google-cloud/')
          ? 'Google Cloud SDK'
          : dep.startsWith('@kubernetes/')
            ? '@kubernetes/client-node'
            : 'execa, pino, undici, minimist';
  const reachedBy = new Map<string, Set<string>>();
  for (const dep of Object.keys(pkgJson(app).dependencies ?? {})) {
    const group = groupOf(dep);
    const stack = [resolve(app, dep)];
    while (stack.length > 0) {
      const dir = stack.pop();
      if (dir === undefined) continue;
      const groups = reachedBy.get(dir) ?? new Set<string>();
      if (groups.has(group)) continue;
      groups.add(group);
      reachedBy.set(dir, groups);
      const p = pkgJson(dir);
      for (const d of Object.keys({ ...p.dependencies, ...p.optionalDependencies }))
        stack.push(resolve(dir, d));
    }
  }
  const shares = new Map<string, number>();
  for (const [dir, groups] of reachedBy) {
    // A package's own files; packages nested below it are counted on their own.
    const bytes = bytesUnder(dir, (p) => p !== dir && p.endsWith('/node_modules'));
    const key = groups.size === 1 ? ([...groups][0] ?? '') : 'shared by several';
    shares.set(key, (shares.get(key) ?? 0) + bytes);
  }
  return shares;
}

function timed(args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync('podman', args, { env: PODMAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`podman ${args.join(' ')}: ${String(r.stderr)}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}
const imageBytes = Number(podman(['image', 'inspect', '--format', '{{.Size}}', IMAGE]).trim());
const baseBytes = imageExists(BASE)
  ? Number(podman(['image', 'inspect', '--format', '{{.Size}}', BASE]).trim())
  : NaN;
const saved = await savedSizes(IMAGE);

const root = podman(['image', 'mount', IMAGE]).trim();
let parts: Array<[string, number]>;
let shares: Map<string, number>;
try {
  const app = join(root, 'app');
  parts = [
    ['/nodejs/bin/node', bytesUnder(join(root, 'nodejs'))],
    ['/usr/local/bin/restic', bytesUnder(join(root, 'usr/local/bin/restic'))],
    [
      '/usr/bin/setpriv + libcap-ng',
      bytesUnder(join(root, 'usr/bin/setpriv')) +
        bytesUnder(join(root, 'usr/lib/x86_64-linux-gnu/libcap-ng.so.0')),
    ],
    ['/app/dist', bytesUnder(join(app, 'dist'))],
    ['/app/node_modules', bytesUnder(join(app, 'node_modules'))],
  ];
  shares = dependencyShares(app);
} finally {
  podman(['image', 'unmount', IMAGE]);
}

// Cold start: a new container each time (podman run --rm: with vfs storage this includes copying the
// image into the container's root), and the start of one already created container (runtime + node).
const runMs: number[] = [];
for (let i = 0; i < RUNS; i++) runMs.push(timed(['run', '--rm', ...RUN_FLAGS, IMAGE, 'version']));
const name = `stash-vault-measure-${process.pid}`;
podman(['create', '--name', name, ...RUN_FLAGS, IMAGE, 'version']);
const startMs: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) startMs.push(timed(['start', '--attach', name]));
} finally {
  podman(['rm', '--force', name]);
}
// node itself inside the container: the CLI's own `version` path, timed by node (no runtime overhead).
const cliArgs = JSON.stringify([...CLI_NODE_FLAGS, '/app/dist/cli.js', 'version']);
const inside = podman([
  'run',
  '--rm',
  ...RUN_FLAGS,
  '--entrypoint=/nodejs/bin/node',
  IMAGE,
  '-e',
  `const { spawnSync } = require('node:child_process'); const ms = [];
   for (let i = 0; i < ${RUNS}; i++) {
     const s = process.hrtime.bigint();
     if (spawnSync('/nodejs/bin/node', ${cliArgs}).status !== 0) process.exit(1);
     ms.push(Number(process.hrtime.bigint() - s) / 1e6);
   }
   ms.sort((a, b) => a - b); console.log(ms[Math.floor(ms.length / 2)].toFixed(0));`,
]).trim();

const rows: Array<[string, string]> = [
  ['image', IMAGE],
  ['uncompressed (podman image inspect)', mib(imageBytes)],
  ['podman save (tar)', mib(saved.tar)],
  ['podman save | gzip', mib(saved.gzip)],
  ['base (stand-in distroless)', Number.isNaN(baseBytes) ? 'n/a' : mib(baseBytes)],
  ...parts.slice(0, 1).map(([k, b]): [string, string] => [`  ${k}`, mib(b)]),
  ['added by the Dockerfile', Number.isNaN(baseBytes) ? 'n/a' : mib(imageBytes - baseBytes)],
  ...parts.slice(1).map(([k, b]): [string, string] => [`  ${k}`, mib(b)]),
  ...[...shares.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, b]): [string, string] => [
      `    node_modules: ${k}`,
      `${mib(b)} (${((100 * b) / (parts.find((p) => p[0] === '/app/node_modules')?.[1] ?? 1)).toFixed(0)} %)`,
    ]),
  [`cold start, podman run --rm ... version (median of ${RUNS})`, `${median(runMs).toFixed(0)} ms`],
  [`start of a created container, podman start -a (median of ${RUNS})`, `${median(startMs).toFixed(0)} ms`],
  [`node dist/cli.js version inside the container (median of ${RUNS})`, `${inside} ms`],
];
const width = Math.max(...rows.map(([k]) => k.length));
for (const [k, val] of rows) console.log(`${k.padEnd(width)}  ${val}`);
