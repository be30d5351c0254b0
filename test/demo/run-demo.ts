// `make demo`: the main job on the built-in local setup. An emulated Kubernetes API and a 3-node HTTPS
// Vault with some data, a real restic 0.18 repository, and the built CLI run with the upstream
// Function's args exactly as Stash expands them. Prints what was stored.
import { isDeepStrictEqual } from 'node:util';
import { resticVersions, restic } from '../helpers/restic.ts';
import { startWorld } from '../helpers/world.ts';

const v = resticVersions().find((x) => x.label === '0.18') ?? resticVersions()[0];
if (v === undefined) throw new Error('no restic found: run scripts/setup-tools.sh');
const w = await startWorld({
  restic: v,
  vault: { data: { 'secret/app/db': 'pw-1', 'secret/app/api': 'key-2', 'secret/team/ops': 'on-call' } },
});
try {
  console.log(
    `Vault: 3 nodes behind ${w.vault.serviceUrl} (HTTPS, test CA), active node ${w.vault.activeIndex()}`,
  );
  console.log(`Kubernetes API: ${w.kube.url}; restic ${v.label}; repository ${w.repository}\n`);
  console.log('== backup-vault (upstream vault-backup-1.10.3 Function args) ==');
  const run = await w.backup();
  for (const l of run.logs)
    if (l['level'] !== 'debug') console.log(`  [${String(l['level'])}] ${String(l['msg'])}`);
  if (run.code !== 0) throw new Error(`backup exited ${run.code}`);
  const out = w.output();
  console.log(
    `\noutput.json phase: ${String(out.targetStatus.stats[0]?.['phase'])}, error: ${String(out.targetStatus.stats[0]?.['error'] ?? 'none')}`,
  );
  console.log('\n== objects in the repository ==');
  process.stdout.write(restic(v, w.repository, ['snapshots', '--no-cache']).toString());
  const archive = w.vault.lastServedArchive();
  const raft = w
    .resticJson<Array<{ id: string; paths: string[] }>>(['snapshots'])
    .find((s) => s.paths.includes('/vault-raft.snap'));
  const dumped = restic(v, w.repository, ['dump', raft?.id ?? '', '/vault-raft.snap', '--no-cache']);
  console.log(
    `\nRaft object: ${dumped.length} bytes, identical to the archive Vault served: ${archive !== undefined && dumped.equals(archive)}`,
  );
  if (out.targetStatus.stats[0]?.['phase'] !== 'Succeeded') throw new Error('backup failed');

  console.log('\n== restore-vault into a fresh cluster (force, keys moved to the new prefix) ==');
  // The restore job runs under Stash's stash-restore-job role; writing the keys Secret needs the extra
  // Role the README asks for.
  w.grantForceRestoreRbac();
  console.log('applied deploy/force-restore-rbac.yaml (the restore job may write the unseal-keys Secret)');
  const fresh = await w.addCluster('vault-new', 'k8s.new-cluster.demo.vault-new');
  console.log(`fresh cluster data before: ${JSON.stringify(fresh.data())}`);
  const r = await w.restore({
    TARGET_NAME: 'vault-new',
    keyPrefix: 'k8s.new-cluster.demo.vault-new',
    force: 'true',
    oldKeyPrefix: w.keyPrefix,
  });
  for (const l of r.logs)
    if (l['level'] !== 'debug') console.log(`  [${String(l['level'])}] ${String(l['msg'])}`);
  const rout = w.output().targetStatus.stats[0];
  console.log(`output.json phase: ${String(rout?.['phase'])}, error: ${String(rout?.['error'] ?? 'none')}`);
  const secret = w.kube.get('v1', 'Secret', 'demo', 'vault-new-keys') as unknown as {
    data: Record<string, string>;
  };
  const moved = Object.keys(secret.data).filter((k) => k.startsWith('k8s.new-cluster.demo.vault-new-'));
  const keysMatch = w.vault.unsealKeys.every(
    (k, i) =>
      Buffer.from(
        secret.data[`k8s.new-cluster.demo.vault-new-unseal-key-${i}`] ?? '',
        'base64',
      ).toString() === k,
  );
  console.log(
    `keys in Secret demo/vault-new-keys under the new prefix: ${moved.length}; equal to the old cluster's keys: ${keysMatch}`,
  );
  console.log(
    `fresh cluster sealed after the force restore: ${fresh.isSealed()}; unsealing with the migrated keys...`,
  );
  const { Agent, request } = await import('undici');
  const agent = new Agent({ connect: { ca: w.pki.caPem } });
  for (let i = 0; i < fresh.threshold; i++) {
    const key = Buffer.from(
      secret.data[`k8s.new-cluster.demo.vault-new-unseal-key-${i}`] ?? '',
      'base64',
    ).toString();
    const res = await request(`${fresh.nodes[fresh.activeIndex()]?.url}/v1/sys/unseal`, {
      dispatcher: agent,
      method: 'PUT',
      body: JSON.stringify({ key }),
    });
    await res.body.dump();
  }
  await agent.close();
  const same = isDeepStrictEqual(fresh.data(), w.vault.data());
  console.log(`fresh cluster sealed: ${fresh.isSealed()}; data equals the original cluster's: ${same}`);
  console.log(`data: ${JSON.stringify(fresh.data())}`);
  if (r.code !== 0 || rout?.['phase'] !== 'Succeeded' || !keysMatch || !same || fresh.isSealed())
    process.exitCode = 1;
} finally {
  await w.close();
}
