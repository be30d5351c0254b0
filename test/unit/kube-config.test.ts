import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../src/kube/client.ts';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c1, cluster: { server: 'https://127.0.0.1:6443' } }]
users: [{ name: u1, user: { token: abc } }]
contexts: [{ name: ctx, context: { cluster: c1, user: u1, namespace: demo } }]
current-context: ctx
`;

function file(): string {
  const p = join(mkdtempSync(join(tmpdir(), 'kc-')), 'config');
  writeFileSync(p, KUBECONFIG);
  return p;
}

test('--kubeconfig is read; --master overrides the current cluster server', () => {
  const path = file();
  assert.equal(loadKubeConfig(path, '', {}).getCurrentCluster()?.server, 'https://127.0.0.1:6443');
  const kc = loadKubeConfig(path, 'https://10.0.0.9:443', {});
  assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.9:443');
  assert.equal(kc.getCurrentUser()?.token, 'abc');
});

test('KUBECONFIG is used when --kubeconfig is empty; otherwise the in-cluster account', () => {
  const path = file();
  const saved = process.env['KUBECONFIG'];
  process.env['KUBECONFIG'] = path;
  try {
    assert.equal(
      loadKubeConfig('', '', { KUBECONFIG: path }).getCurrentCluster()?.server,
      'https://127.0.0.1:6443',
    );
  } finally {
    if (saved === undefined) delete process.env['KUBECONFIG'];
    else process.env['KUBECONFIG'] = saved;
  }
  // Outside a pod there is no service account: in-cluster loading cannot produce a usable cluster.
  const kc = (() => {
    try {
      return loadKubeConfig('', '', {});
    } catch {
      return undefined;
    }
  })();
  assert.ok(kc === undefined || !String(kc.getCurrentCluster()?.server ?? '').includes('127.0.0.1:6443'));
});
