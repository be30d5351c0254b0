// A `restic` shim first on PATH that records every argv restic is started with (NUL-separated, one
// record per line) and then execs the real binary, so tests can scan child argv for secrets.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ResticShim {
  binDir: string;
  argvLog: string;
  calls(): string[][];
  // The environment of every restic start, concatenated (for secret scans).
  environments(): string;
}

export function makeResticShim(realBin: string): ResticShim {
  const binDir = mkdtempSync(join(tmpdir(), 'restic-shim-'));
  const argvLog = join(binDir, 'argv.log');
  const envLog = join(binDir, 'env.log');
  writeFileSync(
    join(binDir, 'restic'),
    [
      '#!/bin/sh',
      `{ for a in "$@"; do printf '%s\\037' "$a"; done; printf '\\n'; } >> '${argvLog}'`,
      `env >> '${envLog}'`,
      // Fault injection: act as a restic whose backend fails after reading N bytes of the Raft object.
      'if [ -n "$RESTIC_SHIM_FAIL_RAFT_AFTER" ] && [ "$1" = backup ] && [ "$4" = vault-raft.snap ]; then',
      '  head -c "$RESTIC_SHIM_FAIL_RAFT_AFTER" > /dev/null; echo "Fatal: simulated backend failure" >&2; exit 1',
      'fi',
      // Fault injection: a restic dump of a Raft object that dies after N bytes.
      'if [ -n "$RESTIC_SHIM_FAIL_DUMP_AFTER" ] && [ "$1" = dump ] && [ "$4" = /vault-raft.snap ]; then',
      `  '${realBin}' "$@" | head -c "$RESTIC_SHIM_FAIL_DUMP_AFTER"; echo "Fatal: simulated dump failure" >&2; exit 1`,
      'fi',
      `exec '${realBin}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(join(binDir, 'restic'), 0o755);
  return {
    binDir,
    argvLog,
    calls: () =>
      existsSync(argvLog)
        ? readFileSync(argvLog, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => l.split('\x1f').filter((a) => a !== ''))
        : [],
    environments: () => (existsSync(envLog) ? readFileSync(envLog, 'utf8') : ''),
  };
}
