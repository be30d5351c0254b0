// Locations the tests share: the repository root, the built CLI, the tools folder and shared/.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'dist', 'cli.js');
export const TOOLS = process.env['STASH_VAULT_TOOLS'] ?? join(REPO_ROOT, '.tools');
export const SHARED = process.env['STASH_VAULT_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');
export const UPSTREAM_CATALOG = join(SHARED, 'upstream-catalog', 'vault-1.10.3');
// The node flags of the image's ENTRYPOINT (the Dockerfile test holds them equal); the env override is
// for comparing flag sets in benchmarks.
export const CLI_NODE_FLAGS = (process.env['STASH_VAULT_NODE_FLAGS'] ?? '--max-semi-space-size=1')
  .split(' ')
  .filter((f) => f !== '');
