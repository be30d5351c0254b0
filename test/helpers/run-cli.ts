// Runs the built CLI as Stash would run the container: the given argv, a chosen restic on PATH,
// KUBECONFIG pointing at the emulator. Captures exit code, stdout and stderr (the JSON logs).
import { spawn } from 'node:child_process';
import { CLI, CLI_NODE_FLAGS, CLI_RUNTIME_ENV } from './paths.ts';

export interface CliRun {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  logs: Array<Record<string, unknown>>;
}

export interface CliOptions {
  env?: Record<string, string>;
  pathPrefix?: string[];
  // Sends this signal once a log line matches `when` (or after `afterMs`).
  signal?: { name: NodeJS.Signals; when?: RegExp; afterMs?: number };
  cli?: string;
  onSpawn?: (pid: number) => void;
  // Flags of ours that the upstream Function does not pass (e.g. --lock-timeout).
  extraArgs?: string[];
}

export function runCli(args: string[], o: CliOptions = {}): Promise<CliRun> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...CLI_RUNTIME_ENV,
    ...o.env,
    PATH: [...(o.pathPrefix ?? []), process.env['PATH'] ?? ''].join(':'),
  };
  delete env['NODE_OPTIONS'];
  delete env['NODE_TEST_CONTEXT'];
  const child = spawn(process.execPath, [...CLI_NODE_FLAGS, o.cli ?? CLI, ...args, ...(o.extraArgs ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) o.onSpawn?.(child.pid);
  let stdout = '';
  let stderr = '';
  let signalled = false;
  const sendSignal = (): void => {
    if (signalled || o.signal === undefined) return;
    signalled = true;
    child.kill(o.signal.name);
  };
  if (o.signal?.afterMs !== undefined) setTimeout(sendSignal, o.signal.afterMs).unref();
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (o.signal?.when !== undefined && o.signal.when.test(stderr)) sendSignal();
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const logs = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ args, code, signal, stdout, stderr, logs });
    });
  });
}
