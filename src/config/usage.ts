// --help text, generated from the flag lists so it cannot drift from what the parser accepts.
import { FLAGS_BY_COMMAND, REQUIRED_FLAGS } from './flags.ts';
import { KUBESTASH_FLAGS } from '../kubestash/parse-args.ts';

export function usageText(): string {
  const lines = [
    'Usage: stash-vault <command> [--flag=value ...]',
    '',
    'Commands:',
    '  backup-vault   stream a verified Vault Raft snapshot and the unseal keys into a restic repository',
    '  restore-vault  restore a chosen backup into the same or a new Vault cluster',
    '  backup         KubeStash: back up the AppBinding of --backupsession into its Snapshots',
    '  restore        KubeStash: restore --snapshot of --restoresession into its target',
    '  version        print the version',
    '',
    `Required flags (Stash): ${REQUIRED_FLAGS.map((f) => `--${f}`).join(' ')}`,
  ];
  for (const [cmd, flags] of Object.entries(FLAGS_BY_COMMAND)) {
    lines.push('', `${cmd} flags:`, ...flags.map((f) => `  --${f}`));
  }
  for (const [cmd, flags] of Object.entries(KUBESTASH_FLAGS)) {
    lines.push('', `${cmd} flags (KubeStash):`, ...flags.map((f) => `  --${f}`));
  }
  lines.push('', 'Every flag takes --name=value; an empty value means the default.');
  return lines.join('\n') + '\n';
}
