// Permanent errors fail fast, every network wait is bounded, SIGTERM always ends the run, the Vault token
// stays where TLS verified the host, credentials in the AppBinding url are never shown, secretShares is
// checked, and an error text that echoes the token is scrubbed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeTestPki } from '../helpers/certs.ts';
import { resticVersions } from '../helpers/restic.ts';
import { NS, startWorld, type World } from '../helpers/world.ts';
import { assertNoSecretsLeaked } from '../helpers/assertions.ts';
import { makeTlsVariants, startRecordingHost } from '../emulators/vault/index.ts';
import type { CliRun } from '../helpers/run-cli.ts';

const v = resticVersions()[0];

type AppBindingDoc = {
  spec: {
    clientConfig: Record<string, unknown>;
    parameters: { unsealer: Record<string, unknown> };
  };
};

if (v !== undefined) {
  describe(`hardening (restic ${v.label})`, () => {
    let w: World;
    let original: AppBindingDoc;
    before(async () => {
      w = await startWorld({ restic: v });
      original = w.kube.get(
        'appcatalog.appscode.com/v1alpha1',
        'AppBinding',
        NS,
        'vault',
      ) as unknown as AppBindingDoc;
    });
    after(() => w.close());

    const host = (): Record<string, unknown> => w.output().targetStatus.stats[0] ?? {};
    const withAppBinding = async (
      edit: (ab: AppBindingDoc) => void,
      run: () => Promise<CliRun>,
    ): Promise<CliRun> => {
      const ab = structuredClone(original);
      edit(ab);
      w.kube.put(ab as never);
      try {
        return await run();
      } finally {
        w.kube.put(structuredClone(original) as never);
      }
    };
    const timed = async (run: () => Promise<CliRun>): Promise<{ run: CliRun; seconds: number }> => {
      const t0 = performance.now();
      const r = await run();
      return { run: r, seconds: (performance.now() - t0) / 1000 };
    };

    test("a caBundle that does not verify Vault's certificate fails within seconds, not after --wait-timeout", async () => {
      const other = makeTestPki(['localhost']).caPem;
      const { run, seconds } = await timed(() =>
        withAppBinding(
          (ab) => (ab.spec.clientConfig['caBundle'] = Buffer.from(other).toString('base64')),
          () => w.backup({ waitTimeout: '60', BACKUP_SESSION: '' }),
        ),
      );
      assert.equal(run.code, 0, run.stderr.slice(-1500));
      assert.equal(host()['phase'], 'Failed');
      assert.match(
        String(host()['error']),
        /TLS: the certificate does not verify with the AppBinding's caBundle/,
      );
      assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s with --wait-timeout=60`);
    });

    test('a serverName the certificate does not cover fails within seconds', async () => {
      const { run, seconds } = await timed(() =>
        withAppBinding(
          (ab) => (ab.spec.clientConfig['serverName'] = 'vault.wrong.invalid'),
          () => w.backup({ waitTimeout: '60', BACKUP_SESSION: '' }),
        ),
      );
      assert.equal(run.code, 0);
      assert.match(String(host()['error']), /the certificate does not cover this host name/);
      assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
    });

    test('an address that cannot work (service without a port, another scheme) is a config error at once', async () => {
      await withAppBinding(
        (ab) => {
          delete ab.spec.clientConfig['url'];
          ab.spec.clientConfig['service'] = { name: 'vault', scheme: 'https', port: 0 };
        },
        () => w.backup({ waitTimeout: '60', BACKUP_SESSION: '' }),
      );
      assert.match(String(host()['error']), /clientConfig\.service has no port/);
      await withAppBinding(
        (ab) => (ab.spec.clientConfig['url'] = 'ftp://127.0.0.1:8200'),
        () => w.backup({ waitTimeout: '60', BACKUP_SESSION: '' }),
      );
      assert.match(String(host()['error']), /must use https or http, not ftp:/);
    });

    test('secretShares must be an integer from 1 to 255', async () => {
      for (const shares of [0, 1_000_000, undefined]) {
        await withAppBinding(
          (ab) => {
            if (shares === undefined) delete ab.spec.parameters.unsealer['secretShares'];
            else ab.spec.parameters.unsealer['secretShares'] = shares;
          },
          () => w.backup({ BACKUP_SESSION: '' }),
        );
        assert.match(
          String(host()['error']),
          new RegExp(
            `secretShares must be an integer from 1 to 255, got ${shares === undefined ? 'NaN' : shares}`,
          ),
        );
      }
    });

    test('a Vault that completes TLS and never answers is bounded by --wait-timeout', async () => {
      w.vault.faults.hang = true;
      const { run, seconds } = await timed(() => w.backup({ waitTimeout: '3', BACKUP_SESSION: '' }));
      w.vault.clearFaults();
      assert.equal(run.code, 0);
      assert.match(
        String(host()['error']),
        /was not ready \(initialized and unsealed\) within 3s; last state: no answer in time/,
      );
      assert.ok(seconds < 25, `took ${seconds.toFixed(1)} s`);
    });

    test('a 400 MiB error body is read only up to a small cap', async () => {
      w.vault.faults.hugeErrorBytes = 400 * 1024 * 1024;
      let peak = 0;
      let timer: NodeJS.Timeout | undefined;
      const run = await w.backup(
        { waitTimeout: '3', BACKUP_SESSION: '' },
        {
          onSpawn: (pid) => {
            timer = setInterval(() => {
              try {
                const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
                peak = Math.max(peak, Number(m?.[1] ?? 0) / 1024);
              } catch {
                // gone
              }
            }, 20);
          },
        },
      );
      clearInterval(timer);
      const sent = w.vault.hugeErrorBytesSent();
      w.vault.clearFaults();
      assert.equal(run.code, 0);
      assert.equal(host()['phase'], 'Failed');
      assert.ok(sent < 64 * 1024 * 1024, `the emulator got ${sent} bytes out before the client hung up`);
      assert.ok(peak < 160, `peak RSS ${peak.toFixed(0)} MiB`);
    });

    test('Kubernetes 429 (with Retry-After) and 500 are retried, not fatal', async () => {
      w.kube.failNext({
        method: 'GET',
        pathIncludes: '/appbindings/vault',
        status: 429,
        times: 2,
        retryAfterSeconds: 1,
      });
      w.kube.failNext({ method: 'GET', pathIncludes: '/secrets/vault-backup-token', status: 500, times: 1 });
      const run = await w.backup({ BACKUP_SESSION: '' });
      assert.equal(host()['phase'], 'Succeeded', String(host()['error']));
      const retries = run.logs.filter((l) => l['msg'] === 'Kubernetes API call failed; retrying');
      assert.equal(retries.length, 3);
      assert.ok(retries.every((r) => Number(r['retryInMs']) > 0));
      assert.ok(
        retries
          .filter((r) => String(r['reason']).startsWith('429'))
          .every((r) => Number(r['retryInMs']) >= 1000),
        'Retry-After honoured',
      );
    });

    test('a blackholed Kubernetes API: SIGTERM gives Failed output and exit 143 within 5 s', async () => {
      w.kube.blackhole(true);
      let cliPid = 0;
      const running = w.backup({ BACKUP_SESSION: '' }, { onSpawn: (pid) => (cliPid = pid) });
      // SIGTERM once the CLI is stuck on the unanswered API (its handlers are installed before that).
      while (!w.kube.requests().some((r) => r.fault === 'blackhole'))
        await new Promise((r) => setTimeout(r, 20));
      const t0 = performance.now();
      process.kill(cliPid, 'SIGTERM');
      const run = await running;
      const seconds = (performance.now() - t0) / 1000;
      w.kube.blackhole(false);
      assert.equal(run.code, 143, run.stderr.slice(-1500));
      assert.ok(seconds < 5, `exit ${seconds.toFixed(1)} s after SIGTERM`);
      const error = String(host()['error']);
      assert.equal(host()['phase'], 'Failed');
      assert.match(error, /^cancelled by SIGTERM/);
      assert.equal(error.split('cancelled by SIGTERM').length, 2, `named once: ${error}`);
    });

    test('the token is never sent to a plaintext leader address or to one whose certificate does not verify', async () => {
      const plain = await startRecordingHost();
      const tls = makeTlsVariants();
      const foreign = await startRecordingHost({ tls: tls.wrongCa });
      try {
        for (const target of [plain.url, foreign.url]) {
          w.vault.faults.leaderAddress = target;
          // Through the active node's own service the answer is is_self, so the run can go on without it.
          const run = await withAppBinding(
            (ab) => (ab.spec.clientConfig['url'] = w.vault.activeServiceUrl),
            () => w.backup({ BACKUP_SESSION: '' }),
          );
          w.vault.clearFaults();
          assert.equal(host()['phase'], 'Succeeded', String(host()['error']));
          assert.ok(
            run.logs.some(
              (l) =>
                String(l['candidate']) === target &&
                /not sending the Vault token|leader address not usable/.test(String(l['msg'])),
            ),
            `a warning names ${target}`,
          );
        }
        assert.deepEqual(plain.requests(), [], 'nothing reached the plaintext host');
        assert.deepEqual(foreign.requests(), [], 'no request got past the TLS handshake');
        assert.ok(
          w.vault.requestLog().every((r) => r.tokenHeader !== 'authorization'),
          'X-Vault-Token only',
        );
      } finally {
        await plain.close();
        await foreign.close();
      }
    });

    test('credentials in the AppBinding url are used nowhere and shown nowhere', async () => {
      const secret = 's3cret-url-pw-7c1e';
      const url = new URL(w.vault.serviceUrl);
      url.username = 'admin';
      url.password = secret;
      const run = await withAppBinding(
        (ab) => (ab.spec.clientConfig['url'] = url.toString()),
        () => w.backup({ BACKUP_SESSION: '' }),
      );
      assert.equal(host()['phase'], 'Succeeded', String(host()['error']));
      assert.ok(
        run.logs.some((l) => String(l['msg']).includes('credentials in clientConfig.url are ignored')),
      );
      assertNoSecretsLeaked(w, run, [secret]);
    });

    test('an error text that echoes the token is scrubbed before it reaches output.json', async () => {
      w.vault.faults.echoTokenInErrors = true;
      w.vault.faults.snapshotError500 = true;
      const run = await w.backup({ BACKUP_SESSION: '' });
      w.vault.clearFaults();
      const error = String(host()['error']);
      assert.equal(host()['phase'], 'Failed');
      assert.match(error, /answered 500: .*\[redacted\]/);
      assertNoSecretsLeaked(w, run);
    });
  });
}
