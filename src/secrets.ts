// Process-wide list of secret values seen this run (token, keys, restic credentials), so that any text
// leaving the process — error messages in output.json, stderr — can be scrubbed as a last line of defence.
import { makeScrubber } from './restic/scrub.ts';

const known = new Set<string>();
let scrub = makeScrubber([]);

export function registerSecret(value: string | Buffer): void {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  const before = known.size;
  for (const v of [text, text.trim()]) if (v.length >= 4) known.add(v);
  if (known.size !== before) scrub = makeScrubber([...known]);
}

// Known secret values and URL userinfo replaced.
export function scrubSecrets(text: string): string {
  return scrub(text);
}

// A URL safe to log: userinfo (user:password@) removed, also inside a restic location (rest:http://…).
export function redactUrl(url: string): string {
  return url.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1');
}
