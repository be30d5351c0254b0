// Certificates for TLS fail-fast tests, made with the openssl CLI like test/helpers/certs.ts but with full
// control over SANs: a server certificate signed by a CA other than the trusted one, and one whose SANs do
// not cover the host in use (hostname mismatch). EC P-256 keys keep generation fast.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PkiCa {
  caPem: string;
  caKeyPem: string;
}

export interface ServerTls {
  certPem: string;
  keyPem: string;
}

export interface ServerCertOptions {
  dnsNames?: string[];
  ipSans?: string[];
  commonName?: string;
}

// A trusted CA plus three server certificates with the same key usage: `good` (signed by caPem, covering the
// requested names), `wrongCa` (same names, signed by another CA) and `hostMismatch` (signed by caPem, names
// that cover neither 127.0.0.1 nor localhost).
export interface TlsVariants {
  caPem: string;
  good: ServerTls;
  wrongCa: ServerTls;
  hostMismatch: ServerTls;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function inTempDir<T>(fn: (dir: string, run: (args: string[]) => void) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'stash-vault-variant-pki-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    return fn(dir, run);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A fresh self-signed CA (openssl req -x509 adds basicConstraints CA:TRUE).
export function makeCa(name = 'stash-vault variant CA'): PkiCa {
  return inTempDir((dir, run) => {
    run(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${name}`]);
    return {
      caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      caKeyPem: readFileSync(join(dir, 'ca.key'), 'utf8'),
    };
  });
}

// A server certificate signed by `ca` whose SANs are exactly the given DNS names and IPs (at least one).
export function issueServerCert(ca: PkiCa, o: ServerCertOptions): ServerTls {
  const sans = [...(o.ipSans ?? []).map((ip) => `IP:${ip}`), ...(o.dnsNames ?? []).map((n) => `DNS:${n}`)];
  if (sans.length === 0) throw new Error('issueServerCert needs at least one DNS name or IP SAN');
  const cn = o.commonName ?? o.dnsNames?.[0] ?? o.ipSans?.[0] ?? 'server';
  return inTempDir((dir, run) => {
    writeFileSync(join(dir, 'ca.pem'), ca.caPem);
    writeFileSync(join(dir, 'ca.key'), ca.caKeyPem, { mode: 0o600 });
    run(['req', ...EC, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${cn}`]);
    writeFileSync(
      join(dir, 'ext.cnf'),
      `[v3]\nsubjectAltName=${sans.join(',')}\nbasicConstraints=CA:FALSE\n` +
        `keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
    );
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
      certPem: readFileSync(join(dir, 'server.pem'), 'utf8'),
      keyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
    };
  });
}

// The three variants; defaults cover what the emulator listens on (IP 127.0.0.1, DNS localhost).
export function makeTlsVariants(o: { dnsNames?: string[]; ipSans?: string[] } = {}): TlsVariants {
  const names = { dnsNames: o.dnsNames ?? ['localhost'], ipSans: o.ipSans ?? ['127.0.0.1'] };
  const trusted = makeCa('stash-vault trusted CA');
  const other = makeCa('stash-vault other CA');
  return {
    caPem: trusted.caPem,
    good: issueServerCert(trusted, names),
    wrongCa: issueServerCert(other, names),
    hostMismatch: issueServerCert(trusted, {
      dnsNames: ['vault.mismatch.invalid'],
      ipSans: ['192.0.2.10'],
    }),
  };
}
