// `--vault-args` was meant for the vault CLI, which we do not run. We honour what maps onto our HTTP
// client (the client timeout) and warn about the rest instead of failing scheduled backups.
import { parseDurationMs } from './convert.ts';

export interface VaultArgs {
  clientTimeoutMs: number | undefined;
  warnings: string[];
}

export function parseVaultArgs(text: string): VaultArgs {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const warnings: string[] = [];
  let clientTimeoutMs: number | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    const m = /^--?client-timeout(?:=(.*))?$/.exec(word);
    if (m) {
      const value = m[1] ?? words[++i] ?? '';
      const ms = parseDurationMs(value);
      if (ms === undefined)
        warnings.push(`--vault-args: ignoring client-timeout with unparsable value "${value}"`);
      else clientTimeoutMs = ms;
      continue;
    }
    const name = /^--?([\w-]+)/.exec(word)?.[1];
    warnings.push(
      name === undefined
        ? '--vault-args: ignoring a positional word (this addon does not run the vault CLI)'
        : `--vault-args: ignoring -${name} (this addon does not run the vault CLI)`,
    );
  }
  return { clientTimeoutMs, warnings };
}
