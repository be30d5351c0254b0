// The version printed by `version` and logged at start: set by the bundler (scripts/build.ts), else read
// from package.json next to src/ when the sources run directly (unit tests).
import { readFileSync } from 'node:fs';

declare const STASH_VAULT_VERSION: string | undefined;

export function packageVersion(): string {
  if (typeof STASH_VAULT_VERSION === 'string') return STASH_VAULT_VERSION;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
