// `make demo`: the main job on the built-in local setup. An emulated Kubernetes API and a 3-node HTTPS
// Vault with some data, a real restic 0.18 repository, and the built CLI run with the upstream
// Function's args exactly as Stash expands them. Prints what was stored.
import { resticVersions, restic } from '../helpers/restic.ts';
import { startWorld } from '../helpers/world.ts';

const v = resticVersions().find((x) => x.label === '0.18') ?? resticVersions()[0];
if (v === undefined) throw new Error('no restic found: run scripts/setup-tools.sh');
const w = await startWorld({ restic: v, vault: { data: { 'secret/app/db': 'pw-1', 'secret/app/api': 'key-2', 'secret/team/ops': 'on-call' } } });
try {
  console.log(`Vault: 3 nodes behind ${w.vault.serviceUrl} (HTTPS, test CA), active node ${w.vault.activeIndex()}`);
  console.log(`Kubernetes API: ${w.kube.url}; restic ${v.label}; repository ${w.repository}\n`);
  console.log('== backup-vault (upstream vault-backup-1.10.3 Function args) ==');
  const run = await w.backup();
  for (const l of run.logs) if (l['level'] !== 'debug') console.log(`  [${String(l['level'])}] ${String(l['msg'])}`);
  if (run.code !== 0) throw new Error(`backup exited ${run.code}`);
  const out = w.output();
  console.log(`\noutput.json phase: ${String(out.targetStatus.stats[0]?.['phase'])}, error: ${String(out.targetStatus.stats[0]?.['error'] ?? 'none')}`);
  console.log('\n== objects in the repository ==');
  process.stdout.write(restic(v, w.repository, ['snapshots', '--no-cache']).toString());
  const archive = w.vault.lastServedArchive();
  const raft = w.resticJson<Array<{ id: string; paths: string[] }>>(['snapshots']).find((s) => s.paths.includes('/vault-raft.snap'));
  const dumped = restic(v, w.repository, ['dump', raft?.id ?? '', '/vault-raft.snap', '--no-cache']);
  console.log(`\nRaft object: ${dumped.length} bytes, identical to the archive Vault served: ${archive !== undefined && dumped.equals(archive)}`);
  if (out.targetStatus.stats[0]?.['phase'] !== 'Succeeded') process.exitCode = 1;
} finally {
  await w.close();
}
