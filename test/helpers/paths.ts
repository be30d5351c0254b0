// Locations the tests share: the repository root, the built CLI, the tools folder and shared/.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// STASH_VAULT_CLI runs another build (e.g. an older commit's, for make stress before/after).
export const CLI = process.env['STASH_VAULT_CLI'] ?? join(REPO_ROOT, 'dist', 'cli.js');
export const TOOLS = process.env['STASH_VAULT_TOOLS'] ?? join(REPO_ROOT, '.tools');
export const SHARED = process.env['STASH_VAULT_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');
export const UPSTREAM_CATALOG = join(SHARED, 'upstream-catalog', 'vault-1.10.3');
// The node flags of the image's ENTRYPOINT (the Dockerfile test holds them equal); the env override is
// for comparing flag sets in benchmarks.
export const CLI_NODE_FLAGS = (process.env['STASH_VAULT_NODE_FLAGS'] ?? '--max-semi-space-size=1 --max-opt=2')
  .split(' ')
  .filter((f) => f !== '');
// The environment the image sets for the runtime (the Dockerfile test holds them equal).
export const CLI_RUNTIME_ENV: Record<string, string> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '65536',
};
