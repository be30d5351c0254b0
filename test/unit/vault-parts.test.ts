// The pure parts of the Vault side: where the token may go, IPv6 leader addresses, which failures are
// permanent, URL credentials, the AppBinding's address and share count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderCandidates } from '../../src/vault/active-node.ts';
import { refuseTarget, urlHost } from '../../src/vault/confine.ts';
import { permanentCause } from '../../src/vault/failure.ts';
import { VaultError } from '../../src/errors.ts';
import { redactUrl } from '../../src/secrets.ts';
import { parseAppBinding, requireRaftTarget, usableVaultUrl } from '../../src/kube/appbinding.ts';

const verified = { caPem: 'CA', serverName: undefined, insecureSkipVerify: false };

test('the token follows only where TLS verifies the host: never to http, never with credentials', () => {
  const origin = 'https://vault.demo.svc:8200';
  assert.equal(refuseTarget('https://vault-1.vault-internal:8200', origin, verified), undefined);
  assert.match(
    refuseTarget('http://vault-1.vault-internal:8200', origin, verified) ?? '',
    /scheme http: differs/,
  );
  assert.match(refuseTarget('https://u:p@vault-1:8200', origin, verified) ?? '', /credentials/);
  assert.match(refuseTarget('ftp://x', origin, verified) ?? '', /not http/);
  const insecure = { ...verified, insecureSkipVerify: true };
  assert.match(refuseTarget('https://elsewhere:8200', origin, insecure) ?? '', /insecureSkipTLSVerify/);
  assert.equal(refuseTarget('https://vault.demo.svc:8201', origin, insecure), undefined, 'same host');
  assert.match(refuseTarget('http://elsewhere:8200', 'http://vault:8200', verified) ?? '', /plaintext/);
});

test('IPv6 leader cluster addresses become a URL host in brackets, once', () => {
  assert.equal(urlHost('fd00::5'), '[fd00::5]');
  assert.equal(urlHost('[fd00::5]'), '[fd00::5]');
  assert.equal(urlHost('10.0.0.1'), '10.0.0.1');
  assert.deepEqual(
    leaderCandidates(
      { isSelf: false, leaderAddress: '', leaderClusterAddress: 'https://[fd00::5]:8201' },
      'https://vault.demo.svc:8200',
      'demo',
    ),
    ['https://[fd00::5]:8200'],
  );
});

test('permanent failures: certificate, host name, wrong protocol, refused token; not refusals that may pass', () => {
  const tlsError = Object.assign(new Error('fetch failed'), {
    cause: Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    }),
  });
  assert.match(permanentCause(tlsError) ?? '', /does not verify with the AppBinding's caBundle/);
  const altname = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
  });
  assert.match(permanentCause(altname) ?? '', /does not cover this host name/);
  assert.match(
    permanentCause(Object.assign(new Error('x'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' })) ?? '',
    /scheme/,
  );
  assert.match(permanentCause(new VaultError('denied', 403)) ?? '', /refused the token/);
  for (const transient of [
    new VaultError('sealed', 503),
    new VaultError('busy', 429),
    Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('getaddrinfo ENOTFOUND vault'), { code: 'ENOTFOUND' }),
  ])
    assert.equal(permanentCause(transient), undefined, transient.message);
});

test('URL credentials are removed wherever an address is shown', () => {
  assert.equal(redactUrl('https://admin:pw@vault:8200/x'), 'https://vault:8200/x');
  assert.equal(redactUrl('https://vault:8200'), 'https://vault:8200');
  assert.equal(redactUrl('rest:http://u:p@h/x'), 'rest:http://h/x');
});

function appBinding(
  clientConfig: Record<string, unknown>,
  unsealer: Record<string, unknown> = { secretShares: 5 },
) {
  return parseAppBinding(
    {
      spec: {
        clientConfig,
        parameters: { backend: 'raft', backupTokenSecretRef: { name: 't' }, unsealer },
      },
    },
    'demo',
    'vault',
  );
}

test('the AppBinding address: credentials dropped with a warning, a usable scheme and port required', () => {
  const withCreds = usableVaultUrl(appBinding({ url: 'https://admin:pw@vault.demo.svc:8200/' }));
  assert.equal(withCreds.url, 'https://vault.demo.svc:8200');
  assert.match(withCreds.warning ?? '', /credentials in clientConfig.url are ignored/);
  assert.throws(
    () => usableVaultUrl(appBinding({ service: { name: 'vault', scheme: 'https', port: 0 } })),
    /has no port/,
  );
  assert.throws(() => usableVaultUrl(appBinding({ url: 'ftp://vault:21' })), /must use https or http/);
  assert.equal(usableVaultUrl(appBinding({ url: 'https://[fd00::1]:8200' })).url, 'https://[fd00::1]:8200');
});

test('secretShares is an integer from 1 to 255 (Shamir over GF(2^8))', () => {
  for (const ok of [1, 5, 255, '3'])
    assert.doesNotThrow(() => requireRaftTarget(appBinding({ url: 'https://v:1' }, { secretShares: ok })));
  for (const bad of [0, 256, 1_000_000, 2.5, -1, 'x', null, undefined])
    assert.throws(
      () => requireRaftTarget(appBinding({ url: 'https://v:1' }, { secretShares: bad })),
      /secretShares must be an integer from 1 to 255/,
    );
});
