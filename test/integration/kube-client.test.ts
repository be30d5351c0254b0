// Our Kubernetes client against the emulator over HTTPS, connected the ways a task can be: the pod's
// service account (token file, CA, KUBERNETES_SERVICE_*), and a kubeconfig whose user logs in through an
// exec plugin (handed to @kubernetes/client-node, which runs it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { startKubeEmulator, type KubeEmulator } from '../emulators/kube/index.ts';
import { secret } from '../emulators/kube/fixtures.ts';
import { KubeApi } from '../../src/kube/api.ts';
import { loadKubeConnection } from '../../src/kube/connection.ts';
import { readSecret } from '../../src/kube/secrets.ts';

describe('Kubernetes connections', () => {
  let kube: KubeEmulator;
  let dir: string;
  before(async () => {
    kube = await startKubeEmulator();
    kube.put(secret({ name: 's', namespace: 'demo', data: { k: 'v' } }));
    dir = mkdtempSync(join(tmpdir(), 'kube-client-'));
  });
  after(() => kube.close());

  test("in a pod: the service account's token and CA, the service host and port", async () => {
    const sa = join(dir, 'sa');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), `${kube.token}\n`);
    writeFileSync(join(sa, 'ca.crt'), kube.caPem);
    const url = new URL(kube.url);
    const conn = await loadKubeConnection(
      '',
      '',
      { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
      sa,
    );
    const api = new KubeApi(conn);
    try {
      assert.equal((await readSecret(api, 'demo', 's'))['k']?.toString(), 'v');
    } finally {
      await api.close();
    }
  });

  test('a kubeconfig user with an exec plugin: the plugin runs and its token is used', async () => {
    const plugin = join(dir, 'get-token');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"${kube.token}"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      dump({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'c',
            cluster: {
              server: kube.url,
              'certificate-authority-data': Buffer.from(kube.caPem).toString('base64'),
            },
          },
        ],
        users: [
          {
            name: 'u',
            user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: plugin } },
          },
        ],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const conn = await loadKubeConnection(file, '', {});
    assert.match(conn.source, /exec or auth-provider/);
    const api = new KubeApi(conn);
    try {
      assert.equal((await readSecret(api, 'demo', 's'))['k']?.toString(), 'v');
    } finally {
      await api.close();
    }
  });
});
