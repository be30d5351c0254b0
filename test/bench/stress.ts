// `make stress`: N backups and restores in a row against one emulated cluster (Vault in its own process,
// repository on rest-server), counting failures by their message. Flaky failures (a connection closed
// under us, a lock left behind) show up here when a single test run would pass.
// STRESS_RUNS (default 30), STRESS_SIZE (default 8MiB), STRESS_LOAD=1 keeps both cores busy meanwhile,
// STRESS_REUSE_CLOSE=1 has Vault close a kept-alive connection when an upload arrives on it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchArchive } from './archive.ts';
import { startBenchWorld } from './bench-world.ts';
import { resticVersions } from '../helpers/restic.ts';

const runs = Number(process.env['STRESS_RUNS'] ?? '30');
const size = process.env['STRESS_SIZE'] ?? '8MiB';
const v =
  resticVersions().find((x) => x.label === (process.env['STRESS_RESTIC'] ?? '0.18')) ?? resticVersions()[0];
if (v === undefined) throw new Error('restic is not installed: run scripts/setup-tools.sh');
const work = mkdtempSync(join(tmpdir(), 'stash-vault-stress-'));
const burners =
  process.env['STRESS_LOAD'] === '1'
    ? [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }))
    : [];

const failures = new Map<string, number>();
let done = 0;
try {
  const archive = join(work, 'archive.gz');
  await writeBenchArchive(archive, size);
  const w = await startBenchWorld(v, archive);
  if (process.env['STRESS_REUSE_CLOSE'] === '1') await w.vault.setFaults({ closeReusedOnUpload: true });
  try {
    for (let i = 0; i < runs; i++) {
      const repo = w.freshRepository(`s-${i}`);
      for (const kind of ['backup', 'restore'] as const) {
        let vars: Record<string, string> = {};
        if (kind === 'restore') {
          try {
            vars = w.restoreVars(repo.env);
          } catch {
            continue; // the backup failed and is counted already
          }
        }
        const c = w.command(kind, repo.url, vars);
        const code = await new Promise<number | null>((resolve) => {
          const child = spawn(c.cmd, c.args, {
            env: { ...process.env, ...c.env, LOG_LEVEL: 'info' },
            stdio: 'ignore',
          });
          child.on('close', resolve);
        });
        const host = w.output().targetStatus.stats[0] ?? {};
        done += 1;
        if (code !== 0 || host['phase'] !== 'Succeeded') {
          const why = `${kind}: ${String(host['error'] ?? `exit ${String(code)}`).slice(0, 200)}`;
          failures.set(why, (failures.get(why) ?? 0) + 1);
          console.log(`run ${i} ${why}`);
        }
        if (kind === 'restore') await w.vault.waitForRestoreApplied();
      }
    }
  } finally {
    await w.close();
  }
} finally {
  for (const b of burners) b.kill();
  rmSync(work, { recursive: true, force: true });
}
const failed = [...failures.values()].reduce((a, b) => a + b, 0);
console.log(
  `${done} runs (${runs} backups and restores, ${size}, restic ${v.label}${burners.length > 0 ? ', cores loaded' : ''}): ${failed} failed`,
);
for (const [why, n] of failures) console.log(`  ${n}× ${why}`);
process.exitCode = failed > 0 ? 1 : 0;
