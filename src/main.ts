// argv → command → output.json and exit code (stash-contract §2, style-guide §4.2).
// The only file that sets the exit code; signal handlers are required because Node runs as PID 1.
import minimist from 'minimist';
import { parseArgs } from './config/parse-args.ts';
import { usageText } from './config/usage.ts';
import type { Config } from './config/config.ts';
import { describeError, UsageError } from './errors.ts';
import { createLogger, type Logger } from './log.ts';
import { goDuration } from './output/go-format.ts';
import { appBindingRef, hostStats, taskOutput, writeOutput } from './output/output.ts';
import { runBackup } from './commands/backup.ts';
import { runRestore } from './commands/restore.ts';
import type { CommandResult } from './commands/result.ts';
import { scrubSecrets } from './secrets.ts';
import { packageVersion } from './version.ts';
import { isKubeStashCommand } from './kubestash/parse-args.ts';
import { runKubeStashMain } from './kubestash/main.ts';
import { exitFor, supervise, wasSignalled } from './supervise.ts';

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
  if (isKubeStashCommand(first)) return runKubeStashMain(argv);
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

async function runCommand(config: Config, log: Logger): Promise<number> {
  const started = process.hrtime.bigint();
  const ref = appBindingRef(config.appBindingName, config.appBindingNamespace);
  const s = await supervise<CommandResult>(
    (signal) =>
      config.command === 'backup-vault' ? runBackup(config, log, signal) : runRestore(config, log, signal),
    log,
  );
  const { result, error } = s;
  const duration = goDuration(process.hrtime.bigint() - started);
  const host = hostStats({
    hostname: result?.hostname ?? defaultHostname(config),
    phase: error === undefined ? 'Succeeded' : 'Failed',
    duration,
    ...(result?.snapshots !== undefined ? { snapshots: result.snapshots } : {}),
    ...(error !== undefined ? { error } : {}),
  });
  let failedExit = 1;
  if (config.outputDir !== '') {
    try {
      const path = await writeOutput(config.outputDir, taskOutput(result?.ref ?? ref, host));
      log.info({ path, phase: host.phase }, 'wrote output.json');
      // Stash's update-status reads the failure from output.json.
      failedExit = 0;
    } catch (err) {
      log.error({ error: scrubSecrets(describeError(err)) }, 'could not write output.json');
      return s.caught !== undefined ? exitFor(s, 1) : 1;
    }
  }
  if (error === undefined) log.info({ duration }, 'succeeded');
  return exitFor(s, failedExit);
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
    return { code: await main(argv), mustExit: wasSignalled() };
  } catch (err) {
    process.stderr.write(`stash-vault: unexpected error: ${scrubSecrets(describeError(err))}\n`);
    return { code: 1, mustExit: wasSignalled() };
  }
}
