// argv → Config. Pure: no I/O, so every Stash expansion case is unit-tested.
import { UsageError } from '../errors.ts';
import { Converter } from './convert.ts';
import { flagWarnings, readFlags } from './read-flags.ts';
import { ALL_FLAGS, COMMANDS, FLAGS_BY_COMMAND, REQUIRED_FLAGS, type CommandName } from './flags.ts';
import { parseVaultArgs } from './vault-args.ts';
import type { BackupConfig, CommonConfig, ParsedArgs, RestoreConfig } from './config.ts';

const DEFAULT_WAIT_TIMEOUT_S = 300;
// Longer than restic's 5-minute lock refresh plus the 10 minutes after which an unrefreshed lock of a
// gone pod counts as dead (restic/locks.ts), so a crashed pod's lock is cleared within one wait.
const DEFAULT_LOCK_TIMEOUT_S = 15 * 60;

export function isCommand(word: string | undefined): word is CommandName {
  return (COMMANDS as readonly string[]).includes(word ?? '');
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const flags = readFlags(argv, ALL_FLAGS);
  const command = flags.command;
  if (!isCommand(command)) {
    throw new UsageError([`unknown command "${String(command ?? '')}": expected ${COMMANDS.join(' or ')}`]);
  }
  const warnings = flagWarnings(command, flags, ALL_FLAGS, FLAGS_BY_COMMAND[command]);
  const c = new Converter(flags.raw);
  const missing = REQUIRED_FLAGS.filter((f) => c.str(f) === '').map((f) => `--${f} is required`);
  const common = commonConfig(command, c);
  const vaultArgs = parseVaultArgs(c.str('vault-args'));
  warnings.push(...vaultArgs.warnings);
  const config =
    command === 'backup-vault'
      ? ({
          ...common,
          command,
          backupSession: c.str('backupsession'),
          lockTimeoutMs: c.int('lock-timeout', DEFAULT_LOCK_TIMEOUT_S) * 1000,
        } satisfies Omit<BackupConfig, 'vaultClientTimeoutMs'>)
      : ({
          ...common,
          command,
          snapshots: c.list('snapshot'),
          sourceHostname: c.str('source-hostname'),
          force: c.bool('force', false),
          oldKeyPrefix: c.str('old-key-prefix'),
        } satisfies Omit<RestoreConfig, 'vaultClientTimeoutMs'>);
  const problems = [...missing, ...c.problems];
  if (problems.length > 0) throw new UsageError(problems);
  return { config: Object.freeze({ ...config, vaultClientTimeoutMs: vaultArgs.clientTimeoutMs }), warnings };
}

function commonConfig(command: CommandName, c: Converter): Omit<CommonConfig, 'vaultClientTimeoutMs'> {
  const namespace = c.str('namespace', 'default');
  return {
    command,
    repository: {
      provider: c.str('provider'),
      bucket: c.str('bucket'),
      endpoint: c.str('endpoint'),
      region: c.str('region'),
      prefix: c.str('path'),
      insecureTls: c.bool('insecure-tls', false),
      storageSecretName: c.str('storage-secret-name'),
      storageSecretNamespace: c.str('storage-secret-namespace'),
      maxConnections: c.int('max-connections', 0),
      enableCache: c.bool('enable-cache', true),
      scratchDir: c.str('scratch-dir', '/stash-tmp'),
    },
    hostname: c.str('hostname'),
    namespace,
    appBindingName: c.str('appbinding'),
    appBindingNamespace: c.str('appbinding-namespace', namespace),
    interimDataDir: c.str('interim-data-dir'),
    outputDir: c.str('output-dir'),
    waitTimeoutMs: c.int('wait-timeout', DEFAULT_WAIT_TIMEOUT_S) * 1000,
    keyPrefix: c.str('key-prefix'),
    kubeconfig: c.str('kubeconfig'),
    master: c.str('master'),
    logLevel: c.str('log-level', 'info'),
  };
}
