// CliOptions that make World.backup/restore/cli (and the KubeStash world) run the image instead of
// `node dist/cli.js`: the args and env stay the World's own, only the runner changes (container-cli.ts).
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.ts';
import type { CliOptions } from '../helpers/run-cli.ts';
import { IMAGE } from './podman.ts';

export interface ContainerRun {
  // Where the World's scratch dir appears in the container (the Function's default).
  scratchAt: '/stash-tmp' | '/kubestash-tmp';
  // Host paths mounted read-write at the same path (local repositories, BackupStorage mount paths).
  mounts?: string[];
  // Keep the container under this name (for podman inspect/diff); without one it is removed (--rm).
  name?: string;
}

export function inContainer(c: ContainerRun, o: CliOptions = {}): CliOptions {
  const env: Record<string, string> = {
    ...o.env,
    IMAGE_CHECK_IMAGE: IMAGE,
    IMAGE_CHECK_SCRATCH_AT: c.scratchAt,
    IMAGE_CHECK_MOUNTS: JSON.stringify(c.mounts ?? []),
  };
  if (c.name !== undefined) env['IMAGE_CHECK_NAME'] = c.name;
  return { ...o, cli: join(REPO_ROOT, 'test', 'image', 'container-cli.ts'), env };
}
