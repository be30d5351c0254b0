// `make bench`: ours against restic alone and against the Go addon's two-step way, on one generated
// realistic archive per size, in one process tree. Prints ratios and writes bench-results/bench.json.
// A = restic backup --stdin < archive; B = download to a file, then restic backup of the folder;
// C = backup-vault end to end; D = restore-vault end to end; E = restic dump > /dev/null.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { writeBenchArchive } from './archive.ts';
import { restic, resticVersions, TEST_PASSWORD, type ResticVersion } from '../helpers/restic.ts';
import { startWorld, type World } from '../helpers/world.ts';
import { median, timeCommand, watchPid, type Sample } from './measure.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

const sizes = (process.env['BENCH_SIZES'] ?? '256MiB,1GiB').split(',').map((s) => s.trim());
const runs = Number(process.env['BENCH_RUNS'] ?? '3');
const versions = (process.env['BENCH_RESTIC'] ?? '0.18,0.14').split(',');
const work = mkdtempSync(join(tmpdir(), 'stash-vault-bench-'));

interface Row {
  restic: string;
  size: string;
  case: string;
  seconds: number;
  peakRssMiB?: number;
  interimDiskBytes?: number;
}
const rows: Row[] = [];

async function cli(w: World, kind: 'backup' | 'restore', extra: Record<string, string>): Promise<Sample> {
  let stop: (() => { peakRssMiB: number | undefined; writtenBytes: number | undefined }) | undefined;
  const started = performance.now();
  const run = await (kind === 'backup'
    ? w.backup(extra, { onSpawn: (pid) => (stop = watchPid(pid)) })
    : w.restore(extra, { onSpawn: (pid) => (stop = watchPid(pid)) }));
  const seconds = (performance.now() - started) / 1000;
  const m = stop?.() ?? { peakRssMiB: undefined, writtenBytes: undefined };
  const phase = w.output().targetStatus.stats[0]?.['phase'];
  if (run.code !== 0 || phase !== 'Succeeded')
    throw new Error(`${kind} failed: ${String(w.output().targetStatus.stats[0]?.['error'])}`);
  return { seconds, peakRssMiB: m.peakRssMiB, writtenBytes: m.writtenBytes };
}

async function benchSize(v: ResticVersion, label: string, archive: string): Promise<void> {
  // The repository on rest-server (outside the CLI's process tree) and no restic shim: every byte the
  // CLI's tree writes to disk is then interim disk.
  const w = await startWorld({ restic: v, vault: { nodes: 3 }, backend: 'rest', noShim: true });
  w.vault.faults.serveArchiveFile = archive;
  // Every case of every run writes into its own new repository: restic never deduplicates against an
  // earlier run of the same archive, as it could not for a real, freshly compressed Raft snapshot.
  const restBase = w.repository.replace(/^rest:/, '').replace(/vault-repo$/, '');
  const freshRepo = (name: string): { env: Record<string, string>; url: string } => {
    const url = `${restBase}${name}`;
    restic(v, `rest:${url}`, ['init']);
    return { env: { RESTIC_REPOSITORY: `rest:${url}`, RESTIC_PASSWORD: TEST_PASSWORD }, url };
  };
  const common = ['--no-cache', '--host', 'host-0', '--quiet', '--json'];
  const A: Sample[] = [],
    B: number[] = [],
    C: Sample[] = [],
    D: Sample[] = [],
    E: number[] = [];
  const agent = new Agent({ connect: { ca: w.pki.caPem } });
  for (let i = 0; i < runs; i++) {
    const a = freshRepo(`a-${i}`);
    A.push(
      await timeCommand(
        v.bin,
        ['backup', '--stdin', '--stdin-filename', 'vault-raft.snap', ...common],
        a.env,
        archive,
      ),
    );
    const b = freshRepo(`b-${i}`);
    const dir = join(work, `interim-${i}`);
    mkdirSync(dir, { recursive: true });
    const t0 = performance.now();
    const active = w.vault.nodes[w.vault.activeIndex()]?.url ?? '';
    const res = await request(`${active}/v1/sys/storage/raft/snapshot`, {
      dispatcher: agent,
      headers: { 'x-vault-token': w.backupToken },
    });
    await pipeline(res.body, createWriteStream(join(dir, 'backup.snap')));
    await timeCommand(v.bin, ['backup', dir, ...common], b.env);
    B.push((performance.now() - t0) / 1000);
    rmSync(dir, { recursive: true, force: true });
    const c = freshRepo(`c-${i}`);
    const repo = { REPOSITORY_ENDPOINT: c.url, ENABLE_CACHE: 'false' };
    C.push(await cli(w, 'backup', { ...repo, BACKUP_SESSION: '' }));
    const raft = (
      JSON.parse(restic(v, c.env.RESTIC_REPOSITORY ?? '', ['snapshots', '--json']).toString()) as Array<{
        id: string;
        paths: string[];
      }>
    )
      .filter((s) => s.paths.includes('/vault-raft.snap'))
      .at(-1);
    D.push(
      await cli(w, 'restore', {
        ...repo,
        RESTORE_SNAPSHOTS: raft?.id ?? '',
        force: 'true',
        oldKeyPrefix: w.keyPrefix,
      }),
    );
    await w.vault.waitForRestoreApplied();
    E.push(
      (await timeCommand(v.bin, ['dump', '--no-cache', raft?.id ?? '', '/vault-raft.snap'], c.env)).seconds,
    );
  }
  await agent.close();
  const archiveBytes = statSync(archive).size;
  const peak = (xs: Sample[]) => Math.max(...xs.map((x) => x.peakRssMiB ?? 0));
  rows.push(
    {
      restic: v.label,
      size: label,
      case: 'A restic --stdin alone',
      seconds: median(A.map((x) => x.seconds)),
      // restic's own temporary pack files: the floor for C's column
      interimDiskBytes: Math.max(...A.map((x) => x.writtenBytes ?? 0)),
    },
    {
      restic: v.label,
      size: label,
      case: 'B download then backup (Go addon way)',
      seconds: median(B),
      interimDiskBytes: archiveBytes,
    },
    {
      restic: v.label,
      size: label,
      case: 'C backup-vault',
      seconds: median(C.map((x) => x.seconds)),
      peakRssMiB: peak(C),
      interimDiskBytes: Math.max(...C.map((x) => x.writtenBytes ?? 0)),
    },
    {
      restic: v.label,
      size: label,
      case: 'D restore-vault',
      seconds: median(D.map((x) => x.seconds)),
      peakRssMiB: peak(D),
      interimDiskBytes: Math.max(...D.map((x) => x.writtenBytes ?? 0)),
    },
    { restic: v.label, size: label, case: 'E restic dump alone', seconds: median(E) },
  );
  await w.close();
}

try {
  for (const size of sizes) {
    const archive = join(work, `archive-${size}.gz`);
    await writeBenchArchive(archive, size);
    for (const label of versions) {
      const v = resticVersions().find((x) => x.label === label);
      if (v !== undefined) await benchSize(v, size, archive);
    }
    rmSync(archive, { force: true });
  }
  const get = (r: string, s: string, c: string) =>
    rows.find((x) => x.restic === r && x.size === s && x.case.startsWith(c));
  const ratios = [];
  console.log(
    'restic size     case                                       seconds  peakRSS(MiB)  interim disk bytes',
  );
  for (const r of rows)
    console.log(
      `${r.restic.padEnd(6)} ${r.size.padEnd(8)} ${r.case.padEnd(42)} ${r.seconds.toFixed(2).padStart(7)}  ${(r.peakRssMiB?.toFixed(1) ?? '-').padStart(12)}  ${r.interimDiskBytes ?? '-'}`,
    );
  for (const v of versions) {
    for (const s of sizes) {
      const [a, b, c, d, e] = ['A', 'B', 'C', 'D', 'E'].map((k) => get(v, s, k));
      if (!a || !b || !c || !d || !e) continue;
      const ratio = {
        restic: v,
        size: s,
        'C/A': +(c.seconds / a.seconds).toFixed(3),
        'C/B': +(c.seconds / b.seconds).toFixed(3),
        'D/E': +(d.seconds / e.seconds).toFixed(3),
        rssC: c.peakRssMiB,
        rssD: d.peakRssMiB,
      };
      ratios.push(ratio);
      console.log(
        `ratios restic ${v} ${s}: C/A=${ratio['C/A']} C/B=${ratio['C/B']} D/E=${ratio['D/E']} peak RSS C=${c.peakRssMiB?.toFixed(1)} MiB D=${d.peakRssMiB?.toFixed(1)} MiB`,
      );
    }
  }
  mkdirSync(join(REPO_ROOT, 'bench-results'), { recursive: true });
  writeFileSync(
    join(REPO_ROOT, 'bench-results', 'bench.json'),
    JSON.stringify({ runs, sizes, rows, ratios }, null, 2),
  );
  console.log('wrote bench-results/bench.json');
} finally {
  rmSync(work, { recursive: true, force: true });
}
