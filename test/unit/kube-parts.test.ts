import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appBindingPort, appBindingUrl } from '../../src/kube/app-url.ts';
import { applySecretTransforms } from '../../src/kube/transforms.ts';
import { parseAppBinding, requireRaftTarget } from '../../src/kube/appbinding.ts';
import { preBackupActionsFor } from '../../src/kube/backup-session.ts';
import { keyNames } from '../../src/keys/names.ts';
import { leaderCandidates } from '../../src/vault/active-node.ts';

test('AppBinding URL(): url verbatim, service with .<ns>.svc and the port always', () => {
  assert.equal(appBindingUrl({ url: 'https://vault.example:8200' }, 'demo'), 'https://vault.example:8200');
  assert.equal(
    appBindingUrl({ service: { name: 'vault', port: 8200, scheme: 'https' } }, 'demo'),
    'https://vault.demo.svc:8200',
  );
  assert.equal(
    appBindingUrl(
      { service: { name: 'vault', port: 8200, scheme: 'http', namespace: 'other', path: 'v', query: 'a=b' } },
      'demo',
    ),
    'http://vault.other.svc:8200/v?a=b',
  );
  assert.equal(
    appBindingUrl({ service: { name: 'vault', port: 0, scheme: '' } }, 'demo'),
    '//vault.demo.svc:0',
  );
  assert.throws(() => appBindingUrl({}, 'demo'), /connection url is missing/);
});

test('AppBinding Port(): explicit port required for url', () => {
  assert.equal(appBindingPort({ service: { name: 'v', port: 8200 } }), 8200);
  assert.equal(appBindingPort({ url: 'https://v:8201' }), 8201);
  assert.throws(() => appBindingPort({ url: 'https://v' }), /no explicit port/);
});

test('secretTransforms in order, first member only', async () => {
  const data = { tok: Buffer.from('s.abc'), drop: Buffer.from('x') };
  const out = await applySecretTransforms(
    data,
    [
      { renameKey: { from: 'tok', to: 'token' } },
      { removeKey: { key: 'drop' } },
      { addKey: { key: 'a', value: Buffer.from('bin').toString('base64'), stringValue: 'str' } },
      { addKeysFrom: { secretRef: { name: 'other' } } },
      { renameKey: { from: 'missing', to: 'x' } },
    ],
    async (name) => ({ [`from-${name}`]: Buffer.from('1') }),
  );
  assert.deepEqual(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.toString()])), {
    token: 's.abc',
    a: 'str',
    'from-other': '1',
  });
});

test('AppBinding parameters parse leniently; raft required', () => {
  const t = parseAppBinding(
    {
      spec: {
        secret: { kind: 'Secret', name: 'x' },
        clientConfig: {
          service: { name: 'vault', port: 8200, scheme: 'https' },
          caBundle: Buffer.from('PEM').toString('base64'),
          serverName: 'vault.demo.svc',
        },
        parameters: {
          backend: 'raft',
          backupTokenSecretRef: { name: 'vault-backup-token' },
          unknownField: 1,
          unsealer: {
            secretShares: 5,
            secretThreshold: 3,
            mode: { kubernetesSecret: { secretName: 'vault-keys' } },
          },
        },
      },
    },
    'demo',
    'vault',
  );
  assert.equal(t.url, 'https://vault.demo.svc:8200');
  assert.equal(t.tls.caPem, 'PEM');
  assert.equal(t.tls.serverName, 'vault.demo.svc');
  assert.equal(t.secretShares, 5);
  assert.deepEqual(t.unsealerMode, { kind: 'kubernetesSecret', secretName: 'vault-keys' });
  requireRaftTarget(t);
  assert.throws(() => requireRaftTarget({ ...t, backend: 'consul' }), /backend must be Raft/);
});

test('pre-backup actions are found by exact target ref', () => {
  const ref = {
    apiVersion: 'appcatalog.appscode.com/v1alpha1',
    kind: 'AppBinding',
    name: 'vault',
    namespace: 'demo',
  };
  const s = {
    status: {
      targets: [
        { ref: { ...ref, name: 'other' }, preBackupActions: ['X'] },
        { ref, preBackupActions: ['InitializeBackendRepository'] },
      ],
    },
  };
  assert.deepEqual(preBackupActionsFor(s, ref), ['InitializeBackendRepository']);
  assert.deepEqual(preBackupActionsFor(s, { ...ref, namespace: 'x' }), []);
});

test('key names with and without prefix', () => {
  assert.deepEqual(keyNames('k8s.c.demo.vault', 2), [
    'k8s.c.demo.vault-root-token',
    'k8s.c.demo.vault-unseal-key-0',
    'k8s.c.demo.vault-unseal-key-1',
  ]);
  assert.deepEqual(keyNames('', 1), ['root-token', 'unseal-key-0']);
});

test('leader candidates: api_addr, then the Go addon rewrite of the cluster address', () => {
  assert.deepEqual(
    leaderCandidates(
      {
        isSelf: false,
        leaderAddress: 'https://vault-0.vault-internal:8200',
        leaderClusterAddress: 'https://vault-0.vault-internal:8201',
      },
      'https://vault.demo.svc:8200',
      'demo',
    ),
    ['https://vault-0.vault-internal:8200', 'https://vault-0.demo.svc:8200'],
  );
  assert.deepEqual(
    leaderCandidates(
      { isSelf: true, leaderAddress: 'http://127.0.0.1:5', leaderClusterAddress: 'https://127.0.0.1:6' },
      'http://127.0.0.1:7',
      'demo',
    ),
    ['http://127.0.0.1:5', 'http://127.0.0.1:7'],
  );
});
