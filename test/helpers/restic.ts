// Real restic for tests: one bin folder per version (made by scripts/setup-tools.sh). Under CI=true a
// missing restic fails the run instead of skipping, so a green run never means "nothing tested".
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOOLS } from './paths.ts';

export interface ResticVersion {
  label: string;
  binDir: string;
  bin: string;
}

export const TEST_PASSWORD = 'test-restic-password-5b1f';

export function resticVersions(): ResticVersion[] {
  const found: ResticVersion[] = [];
  for (const label of ['0.14', '0.18']) {
    const binDir = join(TOOLS, `bin-${label}`);
    const bin = join(binDir, 'restic');
    if (existsSync(bin)) found.push({ label, binDir, bin });
    else if (process.env['CI'] === 'true')
      throw new Error(`restic ${label} missing at ${bin}: run scripts/setup-tools.sh`);
  }
  return found;
}

export function restServerBin(): string | undefined {
  const bin = join(TOOLS, 'bin-0.18', 'rest-server');
  if (existsSync(bin)) return bin;
  if (process.env['CI'] === 'true')
    throw new Error(`rest-server missing at ${bin}: run scripts/setup-tools.sh`);
  return undefined;
}

// Runs restic against a repository with the test password; returns stdout as a Buffer.
export function restic(
  v: ResticVersion,
  repository: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Buffer {
  return execFileSync(v.bin, args, {
    env: { ...process.env, RESTIC_REPOSITORY: repository, RESTIC_PASSWORD: TEST_PASSWORD, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
  });
}

export function newLocalRepo(v: ResticVersion): string {
  const repo = join(mkdtempSync(join(tmpdir(), 'stash-vault-repo-')), 'repo');
  restic(v, repo, ['init']);
  return repo;
}

export interface SnapshotRow {
  id: string;
  short_id: string;
  hostname: string;
  paths: string[];
  tags?: string[];
  time: string;
}

export function snapshots(
  v: ResticVersion,
  repository: string,
  extraEnv: Record<string, string> = {},
): SnapshotRow[] {
  return JSON.parse(
    restic(v, repository, ['snapshots', '--json', '--no-cache', '--no-lock'], extraEnv).toString('utf8'),
  ) as SnapshotRow[];
}

// The snapshots, or none when the repository was never initialized (a run that failed before it).
export function snapshotsIfRepository(v: ResticVersion, repository: string): SnapshotRow[] {
  try {
    return snapshots(v, repository);
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
    if (/unable to open config file|repository does not exist/.test(stderr)) return [];
    throw err;
  }
}
