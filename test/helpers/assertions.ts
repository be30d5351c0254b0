// Shared end-to-end assertions: output.json shape, repository contents, and the secrets scan.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { World } from './world.ts';
import type { CliRun } from './run-cli.ts';
import { snapshotsIfRepository } from './restic.ts';

// Every value update-status parses back must be in its Go format (stash-contract §2.2).
export function assertSucceededOutput(w: World, expectedObjects: number): Array<Record<string, unknown>> {
  const out = w.output();
  assert.deepEqual(out.targetStatus.ref, {
    apiVersion: 'appcatalog.appscode.com/v1alpha1',
    kind: 'AppBinding',
    name: w.appBindingName,
    namespace: 'demo',
  });
  assert.equal(out.targetStatus.stats.length, 1);
  const host = out.targetStatus.stats[0] ?? {};
  assert.equal(host['phase'], 'Succeeded', String(host['error']));
  assert.equal(host['hostname'], 'host-0');
  assert.match(String(host['duration']), /^(\d+h)?(\d+m)?\d+(\.\d+)?(s|ms|µs)$/);
  const snaps = host['snapshots'] as Array<Record<string, unknown>>;
  assert.equal(snaps.length, expectedObjects);
  for (const s of snaps) {
    assert.match(String(s['name']), /^[0-9a-f]{8,64}$/);
    assert.match(String(s['totalSize']), /^(\d+ B|\d+\.\d{3} (KiB|MiB|GiB|TiB))$/);
    assert.match(String(s['uploaded']), /^(\d+ B|\d+\.\d{3} (KiB|MiB|GiB|TiB))$/);
    assert.match(String(s['processingTime']), /^\d+:\d{2}(:\d{2})?$/);
    const fs = s['fileStats'] as Record<string, number>;
    for (const k of ['totalFiles', 'newFiles', 'modifiedFiles', 'unmodifiedFiles'])
      assert.equal(typeof fs[k], 'number', k);
  }
  return snaps;
}

export function assertFailedOutput(w: World, run: CliRun, pattern: RegExp, before: number): void {
  assert.equal(run.code, 0, `exit code with --output-dir must be 0; stderr: ${run.stderr.slice(-2000)}`);
  const host = w.output().targetStatus.stats[0] ?? {};
  assert.equal(host['phase'], 'Failed');
  assert.match(String(host['error']), pattern);
  assert.equal(
    snapshotsIfRepository(w.v, w.repository).length,
    before,
    'no object of the failed run may remain',
  );
}

export function assertRestoreOutput(
  w: World,
  run: CliRun,
  phase: 'Succeeded' | 'Failed',
  error?: RegExp,
): void {
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const out = w.output();
  const host = out.targetStatus.stats[0] ?? {};
  assert.equal(host['phase'], phase, String(host['error']));
  const hostArg = run.args.find((a) => a.startsWith('--hostname='))?.slice('--hostname='.length) ?? '';
  if (hostArg === '') assert.equal('hostname' in host, false, 'empty HOSTNAME is omitted');
  else assert.equal(host['hostname'], hostArg);
  assert.match(String(host['duration']), /^(\d+h)?(\d+m)?\d+(\.\d+)?(s|ms)$/);
  assert.equal(out.targetStatus.ref['name'] !== undefined, true);
  if (error) assert.match(String(host['error']), error);
}

// Scans logs, stdout, child argv, output.json and every file under the scratch dir for secret values.
export function assertNoSecretsLeaked(w: World, run: CliRun, extraSecrets: string[] = []): void {
  const secrets = [...w.secretValues(), ...extraSecrets].filter((s) => s.length >= 4);
  const haystacks: Array<[string, string]> = [
    ['stderr logs', run.stderr],
    ['stdout', run.stdout],
    [
      'restic argv',
      w.shim
        .calls()
        .map((a) => a.join(' '))
        .join('\n'),
    ],
  ];
  for (const file of walk(w.scratch)) haystacks.push([file, readFileSync(file).toString('latin1')]);
  for (const [where, text] of haystacks) {
    for (const s of secrets) assert.ok(!text.includes(s), `secret value leaked into ${where}`);
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
