// `make bench-timeline`: one backup-vault and one restore-vault run on a generated archive, printing
// every log line with its offset from the process start, to show where the fixed cost goes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchArchive } from './archive.ts';
import { resticVersions } from '../helpers/restic.ts';
import { startWorld } from '../helpers/world.ts';
import type { CliRun } from '../helpers/run-cli.ts';
import { readFileSync } from 'node:fs';

// RSS samples of the CLI process, to show which phase holds the memory.
let samples: Array<[number, number]> = [];
let cpuSeconds = 0;
function sampleRss(pid: number): void {
  samples = [];
  const timer = setInterval(() => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      cpuSeconds = (Number(stat[11]) + Number(stat[12])) / 100;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m?.[1]) samples.push([Date.now(), Number(m[1]) / 1024]);
    } catch {
      clearInterval(timer);
    }
  }, 25);
}

const size = process.env['BENCH_SIZES']?.split(',')[0] ?? '64MiB';
const v = resticVersions().find((x) => x.label === (process.env['BENCH_RESTIC'] ?? '0.18').split(',')[0]);
if (v === undefined) throw new Error('restic is not installed: run scripts/setup-tools.sh');
const work = mkdtempSync(join(tmpdir(), 'stash-vault-timeline-'));

function print(title: string, started: number, run: CliRun): void {
  console.log(`\n== ${title} (exit ${run.code})`);
  let prev = started;
  for (const l of run.logs) {
    const at = Date.parse(String(l['time']));
    const t = at - started;
    const rss = Math.max(0, ...samples.filter(([ts]) => ts > prev && ts <= at).map(([, r]) => r));
    prev = at;
    const extra = l['restic'] ?? l['bytes'] ?? l['error'] ?? '';
    console.log(
      `${(t / 1000).toFixed(3).padStart(8)} s ${rss.toFixed(0).padStart(5)} MiB  ${String(l['msg'])} ${String(extra).slice(0, 300)}`,
    );
  }
  const first = run.logs.find((l) => l['msg'] === 'first snapshot bytes handed to restic');
  if (first !== undefined) {
    const at = (Date.parse(String(first['time'])) - started) / 1000;
    console.log(`   first snapshot byte handed to restic ${at.toFixed(3)} s after the process started`);
  }
  const peak = Math.max(0, ...samples.map(([, r]) => r));
  console.log(
    `   total ${((Date.now() - started) / 1000).toFixed(3)} s, peak RSS ${peak.toFixed(0)} MiB, CLI CPU ${cpuSeconds.toFixed(2)} s`,
  );
}

try {
  const archive = join(work, 'archive.gz');
  await writeBenchArchive(archive, size);
  const w = await startWorld({ restic: v, vault: { nodes: 3 } });
  w.vault.faults.serveArchiveFile = archive;
  w.grantForceRestoreRbac();
  let t0 = Date.now();
  const b = await w.backup(
    { BACKUP_SESSION: '', ENABLE_CACHE: 'false' },
    { onSpawn: (pid) => ((t0 = Date.now()), sampleRss(pid)) },
  );
  print(`backup-vault ${size}`, t0, b);
  const b2 = await w.backup(
    { BACKUP_SESSION: '', ENABLE_CACHE: 'false' },
    { onSpawn: (pid) => ((t0 = Date.now()), sampleRss(pid)) },
  );
  print(`backup-vault ${size}, repository exists`, t0, b2);
  const r = await w.restore(
    process.env['TIMELINE_FORCE'] === 'false'
      ? { ENABLE_CACHE: 'false' }
      : { force: 'true', oldKeyPrefix: w.keyPrefix, ENABLE_CACHE: 'false' },
    { onSpawn: (pid) => ((t0 = Date.now()), sampleRss(pid)) },
  );
  print(`restore-vault ${size}`, t0, r);
  await w.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
