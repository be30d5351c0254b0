// The argv reading both front ends share: every known flag as a string (minimist would turn
// `--insecure-tls=` into true and `--key-prefix=007` into 7), the last value winning as with cobra, and
// warnings instead of failures for flags a newer catalog may pass.
import minimist from 'minimist';

export interface RawFlags {
  command: string | undefined;
  // Every flag of `all`: its last value, '' when absent.
  raw: Record<string, string>;
  unknown: string[];
}

export function readFlags(argv: readonly string[], all: readonly string[]): RawFlags {
  const unknown: string[] = [];
  const parsed = minimist([...argv], {
    string: [...all],
    boolean: [],
    unknown: (arg) => {
      if (arg.startsWith('-')) unknown.push(arg.replace(/=.*$/s, ''));
      return !arg.startsWith('-');
    },
  });
  const raw: Record<string, string> = {};
  for (const name of all) {
    const v: unknown = parsed[name];
    const last: unknown = Array.isArray(v) ? v.at(-1) : v;
    raw[name] = typeof last === 'string' ? last : last === undefined ? '' : JSON.stringify(last);
  }
  return { command: parsed._[0], raw, unknown };
}

// Unknown flags, and known ones this command does not use, are ignored with a warning.
export function flagWarnings(
  command: string,
  flags: RawFlags,
  all: readonly string[],
  allowed: readonly string[],
): string[] {
  const warnings = flags.unknown.map(
    (f) => `unknown flag ${f} ignored (the catalog may be newer than this image)`,
  );
  const used = new Set(allowed);
  for (const name of all) {
    if (!used.has(name) && flags.raw[name] !== '')
      warnings.push(`--${name} is not used by ${command}; ignored`);
  }
  return warnings;
}
