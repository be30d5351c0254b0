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
];
