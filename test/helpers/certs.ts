// Test PKI made with the real openssl CLI: a CA and a server certificate for 127.0.0.1/localhost,
// so the emulators serve HTTPS and our clients verify it exactly as they would in a cluster.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

// Makes a fresh CA and a server certificate whose SANs cover the given DNS names and 127.0.0.1.
export function makeTestPki(dnsNames: string[] = ['localhost']): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'stash-vault-pki-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=stash-vault test CA',
    ]);
    run([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      `/CN=${dnsNames[0] ?? 'localhost'}`,
    ]);
    const san = ['IP:127.0.0.1', ...dnsNames.map((n) => `DNS:${n}`)].join(',');
    writeFileSync(join(dir, 'ext.cnf'), `[v3]\nsubjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
    run([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extensions',
      'v3',
      '-extfile',
      'ext.cnf',
    ]);
    return {
      caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      certPem: readFileSync(join(dir, 'server.pem'), 'utf8'),
      keyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
