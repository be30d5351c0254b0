// argv → KubeStash config. The upstream Functions' args are accepted verbatim, each with a value, no
// value or an empty value (envsubst leaves `--force=` when a variable is present but empty).
import { UsageError } from '../errors.ts';
import { Converter } from '../config/convert.ts';
import { flagWarnings, readFlags } from '../config/read-flags.ts';
import { parseVaultArgs } from '../config/vault-args.ts';
import type {
  KubeStashBackupConfig,
  KubeStashCommon,
  KubeStashConfig,
  KubeStashRestoreConfig,
} from './config.ts';

export const KUBESTASH_COMMANDS = ['backup', 'restore'] as const;
export type KubeStashCommand = (typeof KUBESTASH_COMMANDS)[number];

const COMMON = [
  'namespace',
  'scratch-dir',
  'enable-cache',
  'interim-data-dir',
  'wait-timeout',
  'vault-args',
  'key-prefix',
  // Ours: outside a pod, and the log level.
  'kubeconfig',
  'master',
  'log-level',
] as const;

export const KUBESTASH_FLAGS: Record<KubeStashCommand, readonly string[]> = {
  backup: [...COMMON, 'backupsession', 'lock-timeout'],
  restore: [...COMMON, 'restoresession', 'snapshot', 'force', 'old-key-prefix'],
};
const ALL = [...new Set([...KUBESTASH_FLAGS.backup, ...KUBESTASH_FLAGS.restore])];

const DEFAULT_WAIT_TIMEOUT_S = 300;
const DEFAULT_LOCK_TIMEOUT_S = 15 * 60;

export function isKubeStashCommand(word: string | undefined): word is KubeStashCommand {
  return (KUBESTASH_COMMANDS as readonly string[]).includes(word ?? '');
}

export function parseKubeStashArgs(argv: readonly string[]): { config: KubeStashConfig; warnings: string[] } {
  const flags = readFlags(argv, ALL);
  const command = flags.command;
  if (!isKubeStashCommand(command)) {
    throw new UsageError([`unknown command "${String(command ?? '')}": expected backup or restore`]);
  }
  const warnings = flagWarnings(command, flags, ALL, KUBESTASH_FLAGS[command]);
  const c = new Converter(flags.raw);
  const vaultArgs = parseVaultArgs(c.str('vault-args'));
  warnings.push(...vaultArgs.warnings);
  const common: KubeStashCommon = {
    namespace: c.str('namespace', 'default'),
    scratchDir: c.str('scratch-dir', '/kubestash-tmp'),
    // The Addon's default: KubeStash jobs run without a restic cache unless asked.
    enableCache: c.bool('enable-cache', false),
    interimDataDir: c.str('interim-data-dir', '/kubestash-interim'),
    waitTimeoutMs: c.int('wait-timeout', DEFAULT_WAIT_TIMEOUT_S) * 1000,
    vaultClientTimeoutMs: vaultArgs.clientTimeoutMs,
    keyPrefix: c.str('key-prefix'),
    kubeconfig: c.str('kubeconfig'),
    master: c.str('master'),
    logLevel: c.str('log-level', 'info'),
  };
  let config: KubeStashConfig;
  if (command === 'backup') {
    const session = c.str('backupsession');
    if (session === '') c.problems.push('--backupsession is required');
    config = {
      ...common,
      command,
      backupSession: session,
      lockTimeoutMs: c.int('lock-timeout', DEFAULT_LOCK_TIMEOUT_S) * 1000,
    } satisfies KubeStashBackupConfig;
  } else {
    const session = c.str('restoresession');
    if (session === '') c.problems.push('--restoresession is required');
    config = {
      ...common,
      command,
      restoreSession: session,
      snapshot: c.str('snapshot'),
      force: c.bool('force', false),
      oldKeyPrefix: c.str('old-key-prefix'),
    } satisfies KubeStashRestoreConfig;
  }
  if (c.problems.length > 0) throw new UsageError(c.problems);
  return { config: Object.freeze(config), warnings };
}
