// Process-wide list of secret values seen this run (token, keys, restic credentials), so that any text
// leaving the process — error messages in output.json, stderr — can be scrubbed as a last line of defence.
import { makeValueReplacer } from './restic/scrub.ts';

const known = new Set<string>();

export function registerSecret(value: string | Buffer): void {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  if (text.trim().length >= 4) known.add(text.trim());
}

export function scrubSecrets(text: string): string {
  return makeValueReplacer(known)(text);
}
