// Where the Kubernetes connection comes from: --kubeconfig, KUBECONFIG (several files merged), the pod's
// service account; --master overriding the server. Credentials are read, never logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConnection } from '../../src/kube/connection.ts';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c1, cluster: { server: 'https://127.0.0.1:6443/', certificate-authority-data: ${Buffer.from('CA-PEM').toString('base64')} } }]
users: [{ name: u1, user: { token: abc } }]
contexts: [{ name: ctx, context: { cluster: c1, user: u1, namespace: demo } }]
current-context: ctx
`;

function file(text = KUBECONFIG): string {
  const p = join(mkdtempSync(join(tmpdir(), 'kc-')), 'config');
  writeFileSync(p, text);
  return p;
}

test('--kubeconfig is read; --master overrides the current cluster server', async () => {
  const path = file();
  const c = await loadKubeConnection(path, '', {});
  assert.equal(c.server, 'https://127.0.0.1:6443');
  assert.equal(c.caPem, 'CA-PEM');
  assert.equal(await c.authorization(), 'Bearer abc');
  assert.ok(!c.source.includes('abc'), 'the source line names no credential');
  const m = await loadKubeConnection(path, 'https://10.0.0.9:443', {});
  assert.equal(m.server, 'https://10.0.0.9:443');
  assert.equal(await m.authorization(), 'Bearer abc');
});

test('KUBECONFIG lists files: the first to name the current context or an entry wins', async () => {
  const users = file(`users: [{ name: u1, user: { tokenFile: token } }]\n`);
  writeFileSync(join(users, '..', 'token'), 'from-file\n');
  const main = file();
  const c = await loadKubeConnection('', '', { KUBECONFIG: `${users}:${main}` });
  assert.equal(c.server, 'https://127.0.0.1:6443');
  assert.equal(await c.authorization(), 'Bearer from-file', 'the first file defines u1, relative tokenFile');
});

test('in a pod: the service account token (re-read from disk), its CA and the service address', async () => {
  const sa = mkdtempSync(join(tmpdir(), 'sa-'));
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, 'token'), 'sa-token\n');
  writeFileSync(join(sa, 'ca.crt'), 'SA-CA');
  const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
  const c = await loadKubeConnection('', '', env, sa);
  assert.equal(c.server, 'https://[fd00::1]:443');
  assert.equal(c.caPem, 'SA-CA');
  assert.equal(await c.authorization(), 'Bearer sa-token');
  await assert.rejects(loadKubeConnection('', '', {}, sa), /not in a pod/);
});
