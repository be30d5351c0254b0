// A `restic` shim first on PATH. It records every start (pid, time, argv) and the environment, and for
// `backup` every summary line restic prints, stamped with the time it was printed: that line is restic's
// own word that a snapshot was committed. Then it execs the real binary, so the pid, the parent-death
// signal and the exit status stay restic's own.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ResticStart {
  pid: number;
  atNs: bigint;
  argv: string[];
}

export interface ResticCommit {
  pid: number;
  atNs: bigint;
  snapshotId: string;
  // The --stdin-filename of a stdin backup, or '' for a backup of files.
  stdinFilename: string;
  argv: string[];
}

export interface ResticShim {
  binDir: string;
  calls(): string[][];
  starts(): ResticStart[];
  // Every snapshot a restic backup reported as saved, in the order restic printed them.
  commits(): ResticCommit[];
  // The environment of every restic start, concatenated (for secret scans).
  environments(): string;
  // Removes the shim and its logs.
  remove(): void;
}

const SEP = '\x1f';

export function makeResticShim(realBin: string): ResticShim {
  const binDir = mkdtempSync(join(tmpdir(), 'restic-shim-'));
  const startLog = join(binDir, 'starts.log');
  const envLog = join(binDir, 'env.log');
  const summaryLog = join(binDir, 'summaries.log');
  writeFileSync(
    join(binDir, 'restic'),
    [
      '#!/bin/bash',
      // One write per record: restic processes run side by side and append to the same log.
      `line="$$"$'\\x1f'"$(date +%s%N)"; for a in "$@"; do line+=$'\\x1f'"$a"; done; printf '%s\\n' "$line" >> '${startLog}'`,
      `env >> '${envLog}'`,
      // Fault injection: act as a restic whose backend fails after reading N bytes of the Raft object.
      'if [ -n "$RESTIC_SHIM_FAIL_RAFT_AFTER" ] && [ "$1" = backup ] && [ "$4" = vault-raft.snap ]; then',
      '  head -c "$RESTIC_SHIM_FAIL_RAFT_AFTER" > /dev/null; echo "Fatal: simulated backend failure" >&2; exit 1',
      'fi',
      // Fault injection: a restic dump of a Raft object that dies after N bytes.
      'if [ -n "$RESTIC_SHIM_FAIL_DUMP_AFTER" ] && [ "$1" = dump ] && [ "$4" = /vault-raft.snap ]; then',
      `  '${realBin}' "$@" | head -c "$RESTIC_SHIM_FAIL_DUMP_AFTER"; echo "Fatal: simulated dump failure" >&2; exit 1`,
      'fi',
      // Fault injection: every dump that is not of the Raft object (the keys) fails.
      'if [ -n "$RESTIC_SHIM_FAIL_KEY_DUMP" ] && [ "$1" = dump ] && [ "$4" != /vault-raft.snap ]; then',
      '  echo "Fatal: simulated key dump failure" >&2; exit 1',
      'fi',
      // Slow key objects (any backup that is not the Raft object): their commit comes late.
      'if [ -n "$RESTIC_SHIM_DELAY_KEYS_SECONDS" ] && [ "$1" = backup ] && [ "$4" != vault-raft.snap ]; then',
      '  sleep "$RESTIC_SHIM_DELAY_KEYS_SECONDS"',
      'fi',
      'if [ "$1" = backup ]; then',
      `  exec '${realBin}' "$@" > >(while IFS= read -r line; do printf '%s\\n' "$line"; case "$line" in *'"message_type":"summary"'*) printf '%s\\037%s\\037%s\\n' "$$" "$(date +%s%N)" "$line" >> '${summaryLog}';; esac; done)`,
      'fi',
      `exec '${realBin}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(join(binDir, 'restic'), 0o755);
  const lines = (file: string): string[][] =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => l.split(SEP))
      : [];
  const starts = (): ResticStart[] =>
    lines(startLog).map(([pid = '0', at = '0', ...argv]) => ({
      pid: Number(pid),
      atNs: BigInt(at),
      argv: argv.filter((a) => a !== ''),
    }));
  return {
    binDir,
    remove: () => rmSync(binDir, { recursive: true, force: true }),
    calls: () => starts().map((s) => s.argv),
    starts,
    commits: () => {
      const byPid = new Map(starts().map((s) => [s.pid, s.argv]));
      return lines(summaryLog).map(([pid = '0', at = '0', json = '{}']) => {
        const argv = byPid.get(Number(pid)) ?? [];
        const i = argv.indexOf('--stdin-filename');
        const summary = JSON.parse(json) as { snapshot_id?: string };
        return {
          pid: Number(pid),
          atNs: BigInt(at),
          snapshotId: summary.snapshot_id ?? '',
          stdinFilename: i >= 0 && argv.includes('--stdin') ? (argv[i + 1] ?? '') : '',
          argv,
        };
      });
    },
    environments: () => (existsSync(envLog) ? readFileSync(envLog, 'utf8') : ''),
  };
}
