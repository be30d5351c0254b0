// The deliberate bugs `make mutations` plants, one at a time, and the tests meant to catch each.
export interface Mutation {
  id: string;
  name: string;
  file: string;
  find: string;
  replace: string;
  // node --test files, or with `script` a program run as is (a non-zero exit means caught).
  tests: string[];
  script?: boolean;
  // Only the tests whose names match (node --test-name-pattern).
  pattern?: string;
}

export const MUTATIONS: Mutation[] = [
  {
    id: 'eof-on-bad-archive',
    name: 'restic is given EOF on a bad archive instead of being killed',
    file: 'src/restic/stream-backup.ts',
    find: `    child.kill();
    await child.done.catch(() => undefined);
    child.stdin.destroy();`,
    replace: `    child.stdin.end();
    await child.done.catch(() => undefined);`,
    tests: ['test/e2e/backup.test.ts'],
    pattern: 'failure modes',
  },
  {
    id: 'raft-not-last',
    name: 'the Raft object does not wait for the key objects (beforeCommit a no-op)',
    file: 'src/commands/store-run.ts',
    find: 'beforeCommit: async () => void (await keysTask),',
    replace: 'beforeCommit: async () => undefined,',
    tests: ['test/e2e/backup.test.ts'],
    pattern: 'commits last',
  },
  {
    id: 'no-pdeathsig',
    name: 'restic does not die with a killed task (no setpriv --pdeathsig)',
    file: 'src/restic/args.ts',
    find: "return hasSetpriv ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];",
    replace: 'return [];',
    tests: ['test/e2e/backup.test.ts'],
    pattern: 'failure modes',
  },
  {
    id: 'race-per-batch',
    name: 'each wait for the next piece raced against one long-lived "stopped" promise (b4a848a)',
    file: 'src/restic/stream-backup.ts',
    find: 'const guard = <T>(p: Promise<T>): Promise<T> => untilStopped(p, stop.signal);',
    replace: `const stopped = new Promise<never>((_, reject) => stop.signal.addEventListener('abort', () => reject(stop.signal.reason as Error)));
  stopped.catch(() => undefined);
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, stopped]);`,
    tests: ['test/bench/memory-flat.ts'],
    script: true,
  },
  {
    id: 'output-not-scrubbed',
    name: 'the error text is written to output.json without the secret scrubber (supervise.ts)',
    file: 'src/supervise.ts',
    find: 'const error = scrubSecrets(failureText(err, caught));',
    replace: 'const error = failureText(err, caught);',
    tests: ['test/e2e/hardening.test.ts'],
    pattern: 'echoes the token',
  },
  {
    id: 'no-prefix-inference',
    name: 'an empty --old-key-prefix is not inferred from the backup',
    file: 'src/restore/backup-keys.ts',
    find: "if (prefixes.length === 1) return prefixes[0] ?? '';",
    replace: "if (prefixes.length === 1) return '';",
    tests: ['test/e2e/force-restore.test.ts'],
    pattern: 'old prefix is inferred',
  },
  {
    id: 'bearer-token',
    name: 'the Vault token is sent as Authorization: Bearer instead of X-Vault-Token',
    file: 'src/vault/client.ts',
    find: "const headers: Record<string, string> = { 'x-vault-token': this.token };",
    replace: 'const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };',
    tests: ['test/integration/vault-confine.test.ts'],
  },
  {
    id: 'no-dry-run',
    name: 'the kubernetesSecret write proof is a real write, not a server-side dry-run',
    file: 'src/keys/kubernetes-secret.ts',
    find: "const query = dryRun ? { dryRun: 'All' } : undefined;",
    replace: 'const query = undefined;',
    tests: ['test/e2e/force-restore.test.ts'],
    pattern: 'stock restore role',
  },
  {
    id: 'gone-means-dead',
    name: 'a lock whose host is no pod is removed however fresh it is',
    file: 'src/restic/locks.ts',
    find: 'return l.time !== undefined && now - l.time.getTime() > UNREFRESHED_AFTER_MS;',
    replace: 'return true;',
    tests: ['test/e2e/locks.test.ts'],
    pattern: 'no pod|outside Kubernetes',
  },
  {
    id: 'token-to-http',
    name: 'redirects and leader addresses may switch from https to http',
    file: 'src/vault/confine.ts',
    find: "if (c.protocol !== o.protocol) return `scheme ${c.protocol} differs from the AppBinding's ${o.protocol}`;",
    replace: '',
    tests: ['test/integration/vault-confine.test.ts', 'test/e2e/hardening.test.ts'],
    pattern: 'plaintext',
  },
  {
    id: 'keys-as-text',
    name: "the key snapshot's files are read as UTF-8 text",
    file: 'src/restore/backup-keys.ts',
    find: 'values = located.keys.map((k) => files.get(k.name) ?? Buffer.alloc(0));',
    replace:
      "values = located.keys.map((k) => Buffer.from((files.get(k.name) ?? Buffer.alloc(0)).toString('utf8')));",
    tests: ['test/e2e/force-restore.test.ts'],
    pattern: 'keys are bytes: key files',
  },
  {
    id: 'tls-errors-waited',
    name: 'a certificate that does not verify is waited on like a sealed Vault',
    file: 'src/vault/health.ts',
    find: 'if (permanent !== undefined) {',
    replace: 'if (permanent !== undefined && signal === undefined) {',
    tests: ['test/e2e/hardening.test.ts'],
    pattern: 'caBundle',
  },
  {
    id: 'no-kube-retry',
    name: 'Kubernetes calls are tried once (no retry on 429 or 5xx)',
    file: 'src/kube/retry-policy.ts',
    find: 'export const MAX_ATTEMPTS = 5;',
    replace: 'export const MAX_ATTEMPTS = 1;',
    tests: ['test/e2e/hardening.test.ts'],
    pattern: 'retried',
  },
  {
    id: 'error-body-uncapped',
    name: "Vault's error bodies are read whole",
    file: 'src/vault/client.ts',
    find: "const text = (await readCapped(res.body, MAX_ERROR_BODY)).toString('utf8');",
    replace: 'const text = await res.body.text();',
    tests: ['test/e2e/hardening.test.ts'],
    pattern: '400 MiB',
  },
  {
    id: 'shares-unchecked',
    name: 'secretShares is not checked',
    file: 'src/kube/appbinding.ts',
    find: 'if (!Number.isInteger(t.secretShares) || t.secretShares < 1 || t.secretShares > 255) {',
    replace: 'if (false) {',
    tests: ['test/e2e/hardening.test.ts'],
    pattern: 'secretShares',
  },
  {
    id: 'snapshot-host-unchecked',
    name: '--snapshot of another host than --source-hostname is restored',
    file: 'src/restore/select.ts',
    find: "if (explicitSource !== '' && chosen.snapshot.hostname !== explicitSource) {",
    replace: 'if (false) {',
    tests: ['test/e2e/restore.test.ts'],
    pattern: 'selection',
  },
  {
    id: 'key-files-left',
    name: 'the key files stay on the tmpfs after restic stored them',
    file: 'src/restic/key-files.ts',
    find: 'await rm(dir, { recursive: true, force: true });',
    replace: '',
    tests: ['test/e2e/backup.test.ts'],
    pattern: 'one restic start per step',
  },
  {
    id: 'kubestash-one-shape',
    name: 'resticStats written only in the new (summary) shape',
    file: 'src/kubestash/status.ts',
    find: 'return { ...summary, summary };',
    replace: 'return { summary };',
    tests: ['test/e2e/kubestash.test.ts'],
    pattern: 'flat shape the old schema keeps',
  },
  {
    id: 'kubestash-password-from-storage',
    name: 'the restic password taken from the storage Secret instead of the encryption Secret',
    file: 'src/kubestash/repository.ts',
    find: 'const out: SecretData = { ...storageSecret, RESTIC_PASSWORD: password };',
    replace: 'const out: SecretData = { RESTIC_PASSWORD: password, ...storageSecret };',
    tests: ['test/unit/kubestash-parts.test.ts'],
    pattern: 'password comes from the encryption Secret',
  },
];
