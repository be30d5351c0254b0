// argv → command → output.json and exit code (stash-contract §2, style-guide §4.2).
// The only file that sets the exit code; signal handlers are required because Node runs as PID 1.
import minimist from 'minimist';
import { parseArgs } from './config/parse-args.ts';
import { usageText } from './config/usage.ts';
import type { Config } from './config/config.ts';
import { CancelledError, describeError, UsageError } from './errors.ts';
import { createLogger, type Logger } from './log.ts';
import { goDuration } from './output/go-format.ts';
import { appBindingRef, hostStats, taskOutput, writeOutput } from './output/output.ts';
import { runBackup } from './commands/backup.ts';
import { runRestore } from './commands/restore.ts';
import type { CommandResult } from './commands/result.ts';
import { scrubSecrets } from './secrets.ts';
import { packageVersion } from './version.ts';

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
let signalled = false;

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === 'version' || first === '--version') {
    process.stdout.write(`stash-vault ${packageVersion()}\n`);
    return 0;
  }
  if (first === undefined || argv.includes('--help') || argv.includes('-h') || first === 'help') {
    process.stdout.write(usageText());
    return first === undefined ? 2 : 0;
  }
  let config: Config;
  let warnings: string[];
  try {
    ({ config, warnings } = parseArgs(argv));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`stash-vault: ${err.message}\nRun with --help for usage.\n`);
    await writeUsageFailure(argv, err.message);
    return 2;
  }
  const log = createLogger(
    { cmd: config.command, appbinding: `${config.appBindingNamespace}/${config.appBindingName}` },
    undefined,
    config.logLevel,
  );
  for (const w of warnings) log.warn(w);
  log.info({ version: packageVersion() }, 'starting');
  return runCommand(config, log);
}

// After SIGTERM the pod is going away (Kubernetes sends SIGKILL after the grace period, 30 s by default):
// the run gets this long to stop and clean up before output.json is written regardless.
const STOP_GRACE_MS = 4000;

async function runCommand(config: Config, log: Logger): Promise<number> {
  const root = new AbortController();
  let caught: NodeJS.Signals | undefined;
  let onGraceOver: (() => void) | undefined;
  const graceOver = new Promise<void>((resolve) => (onGraceOver = resolve));
  const onSignal = (sig: NodeJS.Signals): void => {
    if (caught !== undefined) return;
    caught = sig;
    signalled = true;
    log.warn({ signal: sig }, 'signal received: stopping');
    root.abort(new CancelledError(sig));
    setTimeout(() => onGraceOver?.(), STOP_GRACE_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const started = process.hrtime.bigint();
  const ref = appBindingRef(config.appBindingName, config.appBindingNamespace);
  let result: CommandResult | undefined;
  let error: string | undefined;
  const run =
    config.command === 'backup-vault'
      ? runBackup(config, log, root.signal)
      : runRestore(config, log, root.signal);
  run.catch(() => undefined);
  try {
    // A branch that ignores the cancel (a hung socket, a stuck child) must not keep output.json unwritten.
    const outcome = await Promise.race([run, graceOver.then(() => GRACE_OVER)]);
    if (typeof outcome === 'symbol') throw new CancelledError(caught ?? 'SIGTERM');
    result = outcome;
  } catch (err) {
    error = scrubSecrets(failureText(err, caught));
    log.error({ error }, 'failed');
  }
  const duration = goDuration(process.hrtime.bigint() - started);
  const host = hostStats({
    hostname: result?.hostname ?? defaultHostname(config),
    phase: error === undefined ? 'Succeeded' : 'Failed',
    duration,
    ...(result?.snapshots !== undefined ? { snapshots: result.snapshots } : {}),
    ...(error !== undefined ? { error } : {}),
  });
  let exit = error === undefined ? 0 : 1;
  if (config.outputDir !== '') {
    try {
      const path = await writeOutput(config.outputDir, taskOutput(result?.ref ?? ref, host));
      log.info({ path, phase: host.phase }, 'wrote output.json');
      exit = 0;
    } catch (err) {
      log.error({ error: scrubSecrets(describeError(err)) }, 'could not write output.json');
      exit = 1;
    }
  }
  if (error === undefined) log.info({ duration }, 'succeeded');
  return caught !== undefined ? (SIGNAL_EXIT[caught] ?? 1) : exit;
}

const GRACE_OVER: unique symbol = Symbol('grace over');

// One line for output.json: the cancel named once, then what it interrupted (if that says more).
function failureText(err: unknown, caught: NodeJS.Signals | undefined): string {
  const text = describeError(err);
  if (caught === undefined) return text;
  const head = `cancelled by ${caught}`;
  return text.includes(head) || err instanceof CancelledError ? head : `${head}: ${text}`;
}

function defaultHostname(config: Config): string {
  if (config.hostname !== '') return config.hostname;
  return config.command === 'backup-vault' ? 'host-0' : '';
}

// A broken Function still reports through output.json when the output dir can be read from argv.
async function writeUsageFailure(argv: string[], message: string): Promise<void> {
  const raw = minimist(argv, {
    string: ['output-dir', 'appbinding', 'appbinding-namespace', 'namespace', 'hostname'],
  });
  const dir = String(raw['output-dir'] ?? '');
  if (dir === '') return;
  const ns = String(raw['appbinding-namespace'] || raw['namespace'] || 'default');
  const ref = appBindingRef(String(raw['appbinding'] ?? ''), ns);
  await writeOutput(
    dir,
    taskOutput(ref, hostStats({ hostname: String(raw['hostname'] ?? ''), phase: 'Failed', error: message })),
  ).catch(() => undefined);
}

export interface Outcome {
  code: number;
  // A signal stopped the run: leave even if a cancelled socket or child still holds the event loop.
  mustExit: boolean;
}

// The whole task: argv in, exit code out (cli.ts applies it).
export async function runMain(argv: string[]): Promise<Outcome> {
  try {
    return { code: await main(argv), mustExit: signalled };
  } catch (err) {
    process.stderr.write(`stash-vault: unexpected error: ${scrubSecrets(describeError(err))}\n`);
    return { code: 1, mustExit: signalled };
  }
}
