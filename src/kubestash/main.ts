// The KubeStash front end: argv → run → status on the session's objects → exit code. No output.json
// (KubeStash has no update-status step); a failure exits 1 after the Failed status is written, so the
// Job fails too (kubestash-contract §8: the operator also watches the executor).
import { describeError, UsageError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { exitFor, supervise } from '../supervise.ts';
import { goDuration } from '../output/go-format.ts';
import { scrubSecrets } from '../secrets.ts';
import { packageVersion } from '../version.ts';
import { runKubeStashBackup } from './backup.ts';
import type { KubeStashConfig } from './config.ts';
import { parseKubeStashArgs } from './parse-args.ts';
import { openStatusKube, RestoreReporter, SnapshotReporter } from './reporter.ts';
import { runKubeStashRestore } from './restore.ts';

export async function runKubeStashMain(argv: string[]): Promise<number> {
  let config: KubeStashConfig;
  let warnings: string[];
  try {
    ({ config, warnings } = parseKubeStashArgs(argv));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`stash-vault: ${err.message}\nRun with --help for usage.\n`);
    return 2;
  }
  const session = config.command === 'backup' ? config.backupSession : config.restoreSession;
  const log = createLogger(
    { cmd: `kubestash ${config.command}`, session: `${config.namespace}/${session}` },
    undefined,
    config.logLevel,
  );
  for (const w of warnings) log.warn(w);
  log.info({ version: packageVersion() }, 'starting');
  const started = process.hrtime.bigint();
  let statusKube;
  try {
    statusKube = await openStatusKube(config.kubeconfig, config.master, log);
  } catch (err) {
    log.error({ error: scrubSecrets(describeError(err)) }, 'cannot load Kubernetes credentials');
    return 1;
  }
  try {
    if (config.command === 'backup') {
      const report = new SnapshotReporter(statusKube, log);
      const s = await supervise((signal) => runKubeStashBackup(config, report, log, signal), log);
      if (s.error !== undefined)
        await report.failPending(s.error, goDuration(process.hrtime.bigint() - started));
      else log.info({ duration: goDuration(process.hrtime.bigint() - started) }, 'succeeded');
      return exitFor(s, 1);
    }
    const report = new RestoreReporter(statusKube, log);
    const s = await supervise((signal) => runKubeStashRestore(config, report, log, signal), log);
    const duration = goDuration(process.hrtime.bigint() - started);
    try {
      await report.finish(duration, s.error);
    } catch {
      return 1;
    }
    if (s.error === undefined) log.info({ duration }, 'succeeded');
    return exitFor(s, 1);
  } finally {
    await statusKube.close().catch(() => undefined);
  }
}
