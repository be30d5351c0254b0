// Our Vault client against the emulator: a 307 from a node that stopped being active is followed only
// where the token may go (never to plaintext http, never past a certificate that does not verify);
// the token travels in X-Vault-Token only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestPki } from '../helpers/certs.ts';
import {
  makeTlsVariants,
  startRecordingHost,
  startVaultCluster,
  type RecordingHost,
} from '../emulators/vault/index.ts';
import type { VaultCluster } from '../emulators/vault/types.ts';
import { VaultClient } from '../../src/vault/client.ts';
import { openSnapshot } from '../../src/vault/snapshot.ts';

describe('Vault redirects and the token', () => {
  const pki = makeTestPki(['localhost']);
  let vault: VaultCluster;
  let plain: RecordingHost;
  let foreign: RecordingHost;
  let client: VaultClient;
  before(async () => {
    vault = await startVaultCluster({ nodes: 2, tls: { certPem: pki.certPem, keyPem: pki.keyPem } });
    plain = await startRecordingHost();
    foreign = await startRecordingHost({ tls: makeTlsVariants().wrongCa });
    const token = vault.createToken({ 'sys/storage/raft/snapshot': ['read'] });
    client = new VaultClient(token, { caPem: pki.caPem, serverName: undefined, insecureSkipVerify: false });
  });
  after(async () => {
    await client.close();
    await vault.close();
    await plain.close();
    await foreign.close();
  });

  test('a 307 to plaintext http is refused; nothing reaches that host', async () => {
    vault.faults.forceStandbyAll = true;
    vault.faults.redirectLocation = `${plain.url}/v1/sys/storage/raft/snapshot`;
    await assert.rejects(
      openSnapshot(client, vault.nodes[0]?.url ?? ''),
      /redirected the snapshot request to http:\/\/127\.0\.0\.1:\d+; not following it: scheme http: differs/,
    );
    vault.clearFaults();
    assert.deepEqual(plain.requests(), []);
  });

  test('a 307 to a host whose certificate does not verify fails in the handshake; no request is made', async () => {
    vault.faults.forceStandbyAll = true;
    vault.faults.redirectLocation = `${foreign.url}/v1/sys/storage/raft/snapshot`;
    await assert.rejects(openSnapshot(client, vault.nodes[0]?.url ?? ''), /certificate|verify/i);
    vault.clearFaults();
    assert.deepEqual(foreign.requests(), []);
  });

  test('a 307 to the new active node is followed, with X-Vault-Token only', async () => {
    vault.setActive(1);
    const from = vault.requestLog().length;
    const { body, node } = await openSnapshot(client, vault.nodes[0]?.url ?? '');
    body.resume();
    await new Promise((r) => body.once('end', r));
    assert.equal(node, new URL(vault.nodes[1]?.url ?? '').origin);
    const seen = vault.requestLog().slice(from);
    assert.deepEqual(
      seen.map((r) => [r.node, r.status]),
      [
        [0, 307],
        [1, 200],
      ],
    );
    assert.ok(seen.every((r) => r.tokenHeader === 'x-vault-token' && !r.authorizationHeader));
  });
});
