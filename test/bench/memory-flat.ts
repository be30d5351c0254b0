// `make bench-memory` (run by .ci/run): peak RSS of the CLI must not grow with the snapshot. A backup and
// a restore at a small and a large size, Vault in its own process; fails when the large run's peak RSS
// exceeds the small one's by more than MAX_GROWTH_MIB. A memory bound, not a timing: RSS is stable on a
// busy machine where seconds are not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchArchive } from './archive.ts';
import { startBenchWorld } from './bench-world.ts';
import { measure } from './measure.ts';
import { resticVersions } from '../helpers/restic.ts';

const MAX_GROWTH_MIB = 10;
const sizes = (process.env['MEMORY_SIZES'] ?? '16MiB,256MiB').split(',');
const v = resticVersions().find((x) => x.label === '0.18') ?? resticVersions()[0];
if (v === undefined) throw new Error('restic is not installed: run scripts/setup-tools.sh');
const work = mkdtempSync(join(tmpdir(), 'stash-vault-memory-'));

const peaks = { backup: new Map<string, number>(), restore: new Map<string, number>() };
try {
  for (const size of sizes) {
    const archive = join(work, `${size}.gz`);
    await writeBenchArchive(archive, size);
    const w = await startBenchWorld(v, archive);
    try {
      const repo = w.freshRepository('m');
      for (const kind of ['backup', 'restore'] as const) {
        const vars = kind === 'restore' ? w.restoreVars(repo.env) : {};
        const c = w.command(kind, repo.url, vars);
        const s = await measure(c.cmd, c.args, { env: c.env, watchRss: true });
        const phase = w.output().targetStatus.stats[0]?.['phase'];
        if (phase !== 'Succeeded') throw new Error(`${kind} at ${size} did not succeed`);
        peaks[kind].set(size, s.peakRssMiB ?? NaN);
        console.log(
          `${kind.padEnd(8)} ${size.padEnd(7)} peak RSS ${(s.peakRssMiB ?? NaN).toFixed(1)} MiB, ${s.seconds.toFixed(1)} s`,
        );
        if (kind === 'restore') await w.vault.waitForRestoreApplied();
      }
    } finally {
      await w.close();
      rmSync(archive, { force: true });
    }
  }
  const [small = '', large = ''] = sizes;
  let failed = false;
  for (const kind of ['backup', 'restore'] as const) {
    const growth = (peaks[kind].get(large) ?? NaN) - (peaks[kind].get(small) ?? NaN);
    const ok = growth <= MAX_GROWTH_MIB;
    failed ||= !ok;
    console.log(
      `${kind}: peak RSS grows ${growth.toFixed(1)} MiB from ${small} to ${large} (bound ${MAX_GROWTH_MIB} MiB): ${ok ? 'flat' : 'GROWS'}`,
    );
  }
  if (failed) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
