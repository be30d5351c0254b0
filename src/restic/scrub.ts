// Removes known secret values and URL userinfo from any text that leaves the process (logs, errors).
export function makeScrubber(secrets: readonly string[]): (text: string) => string {
  const replace = makeValueReplacer(secrets);
  return (text: string): string => replace(text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1[redacted]@'));
}

// Replaces every listed value of 4+ characters (longest first, so no secret is left half-replaced).
export function makeValueReplacer(secrets: Iterable<string>): (text: string) => string {
  const values = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text: string): string => {
    let out = text;
    for (const v of values) out = out.split(v).join('[redacted]');
    return out;
  };
}
