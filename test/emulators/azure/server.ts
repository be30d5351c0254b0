// One HTTPS server on 127.0.0.1 that is both the Entra ID authority and the Key Vault: the identity SDK is
// pointed at it with AZURE_AUTHORITY_HOST, the secrets SDK with vaultBaseURL. The certificate comes from a
// fresh test CA whose PEM is written to a file for NODE_EXTRA_CA_CERTS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestPki } from '../../helpers/certs.ts';
import { handleEntra } from './entra.ts';
import { sendJson } from './http.ts';
import { handleKeyVault } from './key-vault.ts';
import { AzureState, type AzureFaults } from './state.ts';

export interface AzureEmulator {
  // https://127.0.0.1:<port>, both the authority host and the vault URL.
  url: string;
  caFile: string;
  state: AzureState;
  faults: AzureFaults;
  close(): Promise<void>;
}

export async function startAzureEmulator(tenantId: string): Promise<AzureEmulator> {
  const pki = makeTestPki(['localhost']);
  const dir = mkdtempSync(join(tmpdir(), 'azure-emulator-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.caPem, { mode: 0o600 });
  const state = new AzureState(tenantId);
  let base = '';
  const server = createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', base);
    state.requests.push({ method: req.method ?? 'GET', path: url.pathname });
    if (state.faults.hang) {
      req.resume();
      return;
    }
    const ctx = { state, vaultUrl: base, authorityHost: base };
    void (async () => {
      if (await handleEntra(state, base, req, res, url.pathname)) return;
      if (await handleKeyVault(ctx, req, res, url)) return;
      sendJson(res, 404, {
        error: { code: 'NotFound', message: `no route for ${req.method ?? ''} ${url.pathname}` },
      });
    })().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalError', message: String(err) } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    caFile,
    state,
    faults: state.faults,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
