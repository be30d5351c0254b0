// podman for the image checks, set up as scripts/podman-env.sh sets it up for the build scripts (the same
// containers.conf and storage.conf: vfs, runc, cgroupfs, no default ulimits), and the image under test.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.ts';

// IMAGE picks another build, as for scripts/build-image.sh.
export const IMAGE = process.env['IMAGE'] ?? 'stash-vault:dev';
// The uid the image declares (USER 65532:65532) and that Stash's securityContext may replace.
export const UID = 65532;

export const PODMAN_ENV: Record<string, string | undefined> = {
  ...process.env,
  CONTAINERS_CONF: join(REPO_ROOT, 'scripts', 'containers', 'containers.conf'),
  CONTAINERS_STORAGE_CONF: join(REPO_ROOT, 'scripts', 'containers', 'storage.conf'),
};

// A job container as Stash's recommended securityContext runs it: non-root, read-only root filesystem
// (no tmpfs on /tmp, /run or /var/tmp either), no capabilities, no privilege escalation; host network,
// because the emulators listen on 127.0.0.1.
export const RUN_FLAGS = [
  '--pull=never',
  '--network=host',
  '--read-only',
  '--read-only-tmpfs=false',
  `--user=${UID}:${UID}`,
  '--cap-drop=ALL',
  '--security-opt=no-new-privileges',
];

// podman's stdout; throws with its stderr when it fails.
export function podman(args: string[]): string {
  return execFileSync('podman', args, { env: PODMAN_ENV, encoding: 'utf8', maxBuffer: 1 << 30 });
}

// podman's exit status and output, for calls that are expected to fail.
export function podmanStatus(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('podman', args, { env: PODMAN_ENV, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function imageExists(image: string = IMAGE): boolean {
  return podmanStatus(['image', 'exists', image]).status === 0;
}
