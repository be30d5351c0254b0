// `make bench`: ours against restic alone and against the Go addon's two-step way, on one generated
// realistic archive per size. Vault runs in a process of its own (Go-shaped chunked 32 KiB responses
// from a file, nothing hashed while serving; its restore checks outside the measured tree). Every case of
// every run writes into a new repository on rest-server. Prints the table and the ratios and writes
// bench-results/bench.json.
// A = restic backup --stdin < archive; B = download to a file, then restic backup of the folder;
// C = backup-vault end to end; D = restore-vault end to end; E = restic dump > /dev/null.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchArchive } from './archive.ts';
import { BENCH_KEY_PREFIX, startBenchWorld, type BenchWorld } from './bench-world.ts';
import { measure, median, type Sample } from './measure.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { restic, resticVersions, type ResticVersion } from '../helpers/restic.ts';

const sizes = (process.env['BENCH_SIZES'] ?? '256MiB,1GiB').split(',').map((s) => s.trim());
const runs = Number(process.env['BENCH_RUNS'] ?? '3');
const versions = (process.env['BENCH_RESTIC'] ?? '0.18,0.14').split(',');
const work = mkdtempSync(join(tmpdir(), 'stash-vault-bench-'));

interface CaseResult extends Sample {
  resticStarts?: number;
  // CPU the Vault process spent meanwhile (outside the measured tree, on the same cores).
  vaultCpuSeconds?: number;
}

// utime + stime of one process, from /proc (clock ticks of 10 ms).
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(stat[11]) + Number(stat[12])) / 100;
}
interface Row {
  restic: string;
  size: string;
  case: string;
  seconds: number;
  cpuSeconds: number;
  peakRssMiB?: number;
  resticStarts?: number;
  vaultCpuSeconds?: number;
  interimDiskBytes: number;
}
const rows: Row[] = [];

async function cli(
  w: BenchWorld,
  kind: 'backup' | 'restore',
  repoUrl: string,
  vars: Record<string, string>,
): Promise<CaseResult> {
  const c = w.command(kind, repoUrl, vars);
  const vaultCpu = processCpuSeconds(w.vault.pid);
  const s = await measure(c.cmd, c.args, { env: c.env, watchRss: true, countLines: /"msg":"restic start"/ });
  const host = w.output().targetStatus.stats[0] ?? {};
  if (host['phase'] !== 'Succeeded') throw new Error(`${kind} failed: ${String(host['error'])}`);
  return { ...s, resticStarts: s.matchedLines, vaultCpuSeconds: processCpuSeconds(w.vault.pid) - vaultCpu };
}

function sum(a: Sample, b: Sample): Sample {
  return {
    seconds: a.seconds + b.seconds,
    cpuSeconds: a.cpuSeconds + b.cpuSeconds,
    diskBytes: a.diskBytes + b.diskBytes,
    peakRssMiB: undefined,
    matchedLines: 0,
    stderr: '',
  };
}

function row(v: ResticVersion, size: string, name: string, xs: CaseResult[]): Row {
  const peak = xs.map((x) => x.peakRssMiB).filter((x): x is number => x !== undefined);
  const starts = xs.map((x) => x.resticStarts).filter((x): x is number => x !== undefined);
  const vault = xs.map((x) => x.vaultCpuSeconds).filter((x): x is number => x !== undefined);
  return {
    restic: v.label,
    size,
    case: name,
    seconds: median(xs.map((x) => x.seconds)),
    cpuSeconds: median(xs.map((x) => x.cpuSeconds)),
    ...(peak.length > 0 ? { peakRssMiB: Math.max(...peak) } : {}),
    ...(starts.length > 0 ? { resticStarts: Math.max(...starts) } : {}),
    ...(vault.length > 0 ? { vaultCpuSeconds: median(vault) } : {}),
    interimDiskBytes: Math.max(...xs.map((x) => x.diskBytes)),
  };
}

async function benchSize(v: ResticVersion, size: string, archive: string): Promise<void> {
  const w = await startBenchWorld(v, archive);
  const caFile = join(work, 'ca.pem');
  writeFileSync(caFile, w.pki.caPem);
  const common = ['--no-cache', '--host', 'host-0', '--quiet', '--json'];
  const A: CaseResult[] = [];
  const B: CaseResult[] = [];
  const C: CaseResult[] = [];
  const D: CaseResult[] = [];
  const E: CaseResult[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const a = w.freshRepository(`a-${i}`);
      A.push(
        await measure(v.bin, ['backup', '--stdin', '--stdin-filename', 'vault-raft.snap', ...common], {
          env: a.env,
          stdinFile: archive,
        }),
      );

      const b = w.freshRepository(`b-${i}`);
      const dir = join(work, `interim-${i}`);
      mkdirSync(dir, { recursive: true });
      const active = w.vault.nodes[await w.vault.activeIndex()]?.url ?? '';
      const download = await measure(
        process.execPath,
        [
          join(REPO_ROOT, 'test', 'bench', 'download.ts'),
          `${active}/v1/sys/storage/raft/snapshot`,
          caFile,
          join(dir, 'backup.snap'),
        ],
        { env: { VAULT_TOKEN: w.backupToken } },
      );
      const backup = await measure(v.bin, ['backup', dir, ...common], { env: b.env });
      B.push(sum(download, backup));
      rmSync(dir, { recursive: true, force: true });

      const c = w.freshRepository(`c-${i}`);
      C.push(await cli(w, 'backup', c.url, {}));
      const raft = (
        JSON.parse(
          restic(v, c.env['RESTIC_REPOSITORY'] ?? '', ['snapshots', '--json', '--no-cache']).toString(),
        ) as Array<{ id: string; paths: string[] }>
      ).find((s) => s.paths.includes('/vault-raft.snap'));
      if (raft === undefined) throw new Error('backup-vault stored no Raft object');
      D.push(
        await cli(w, 'restore', c.url, {
          RESTORE_SNAPSHOTS: raft.id,
          force: 'true',
          oldKeyPrefix: BENCH_KEY_PREFIX,
        }),
      );
      await w.vault.waitForRestoreApplied();
      E.push(await measure(v.bin, ['dump', '--no-cache', raft.id, '/vault-raft.snap'], { env: c.env }));
    }
  } finally {
    await w.close();
  }
  rows.push(
    row(v, size, 'A restic --stdin alone', A),
    { ...row(v, size, 'B download then backup (Go addon way)', B), interimDiskBytes: statSync(archive).size },
    row(v, size, 'C backup-vault', C),
    row(v, size, 'D restore-vault', D),
    row(v, size, 'E restic dump alone', E),
  );
}

const ratio = (x: number, y: number): number => +(x / y).toFixed(3);

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
  console.log(
    'restic size     case                                      seconds   CPU-s  peakRSS(MiB)  restic starts  Vault CPU-s  interim disk bytes',
  );
  for (const r of rows)
    console.log(
      `${r.restic.padEnd(6)} ${r.size.padEnd(8)} ${r.case.padEnd(40)} ${r.seconds.toFixed(2).padStart(8)} ${r.cpuSeconds.toFixed(2).padStart(7)}  ${(r.peakRssMiB?.toFixed(1) ?? '-').padStart(12)}  ${String(r.resticStarts ?? '-').padStart(13)}  ${(r.vaultCpuSeconds?.toFixed(2) ?? '-').padStart(11)}  ${r.interimDiskBytes}`,
    );
  const ratios = [];
  for (const v of versions) {
    for (const s of sizes) {
      const get = (k: string) => rows.find((x) => x.restic === v && x.size === s && x.case.startsWith(k));
      const [a, b, c, d, e] = ['A', 'B', 'C', 'D', 'E'].map(get);
      if (!a || !b || !c || !d || !e) continue;
      const r = {
        restic: v,
        size: s,
        'C/A': ratio(c.seconds, a.seconds),
        'C/B': ratio(c.seconds, b.seconds),
        'D/E': ratio(d.seconds, e.seconds),
        'CPU C/A': ratio(c.cpuSeconds, a.cpuSeconds),
        peakRssC: c.peakRssMiB,
        peakRssD: d.peakRssMiB,
        resticStartsC: c.resticStarts,
        resticStartsD: d.resticStarts,
      };
      ratios.push(r);
      console.log(
        `ratios restic ${v} ${s}: C/A=${r['C/A']} C/B=${r['C/B']} D/E=${r['D/E']} CPU C/A=${r['CPU C/A']} peak RSS C=${c.peakRssMiB?.toFixed(1)} MiB D=${d.peakRssMiB?.toFixed(1)} MiB restic starts C=${c.resticStarts} D=${d.resticStarts}`,
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
