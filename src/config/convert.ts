// Explicit string → value conversions for Stash-expanded flags: '' always means "use the default",
// anything unparsable is collected as a usage problem instead of being guessed.
export class Converter {
  readonly problems: string[] = [];
  private readonly raw: Record<string, string>;

  constructor(raw: Record<string, string>) {
    this.raw = raw;
  }

  str(name: string, fallback = ''): string {
    const v = this.raw[name];
    return v === undefined || v === '' ? fallback : v;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = (this.raw[name] ?? '').trim().toLowerCase();
    if (v === '') return fallback;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    this.problems.push(`--${name} must be true or false, got "${v}"`);
    return fallback;
  }

  int(name: string, fallback: number): number {
    const v = (this.raw[name] ?? '').trim();
    if (v === '') return fallback;
    if (!/^\d+$/.test(v)) {
      this.problems.push(`--${name} must be a non-negative integer, got "${v}"`);
      return fallback;
    }
    return Number(v);
  }

  list(name: string): string[] {
    return (this.raw[name] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
}

// Go-style duration or plain seconds ("300", "90s", "1m30s", "500ms") → milliseconds.
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'h' ? n * 3_600_000 : unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : n;
    matched = re.lastIndex;
  }
  return matched === t.length && matched > 0 ? Math.round(total) : undefined;
}
