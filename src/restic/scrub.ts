// Removes known secret values and URL userinfo from any text that leaves the process (logs, errors).
export function makeScrubber(secrets: readonly string[]): (text: string) => string {
  const values = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text: string): string => {
    let out = text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1[redacted]@');
    for (const v of values) out = out.split(v).join('[redacted]');
    return out;
  };
}
