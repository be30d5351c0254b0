// Value formats update-status parses back (stash-contract §2.2): Go time.Duration.String(), restic
// wrapper sizes ("%.3f MiB", strict > thresholds) and "M:SS"/"H:MM:SS" processing times.

// Go's time.Duration.String() for a non-negative duration given in nanoseconds.
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  if (ns < 1_000n) return `${ns}ns`;
  if (ns < 1_000_000n) return `${fraction(ns, 1_000n)}µs`;
  if (ns < 1_000_000_000n) return `${fraction(ns, 1_000_000n)}ms`;
  const h = ns / 3_600_000_000_000n;
  const m = (ns / 60_000_000_000n) % 60n;
  const s = fraction(ns % 60_000_000_000n, 1_000_000_000n);
  if (h > 0n) return `${h}h${m}m${s}s`;
  if (m > 0n) return `${m}m${s}s`;
  return `${s}s`;
}

// value/unit as a decimal with trailing zeros trimmed, e.g. 4512304000/1e9 → "4.512304".
function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return `${whole}`;
  const digits = unit.toString().length - 1;
  return `${whole}.${rest.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

const UNITS: Array<[string, number]> = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
];

// Stash's restic wrapper size format: "1024 B", "1.001 KiB", "75.867 KiB".
export function formatSize(bytes: number): string {
  for (const [unit, size] of UNITS) {
    if (bytes > size) return `${(bytes / size).toFixed(3)} ${unit}`;
  }
  return `${bytes} B`;
}

// restic total_duration (seconds, float) truncated to whole seconds: "0:03", "12:00", "1:02:05".
export function formatProcessingTime(seconds: number): string {
  const total = Math.max(0, Math.trunc(seconds));
  const h = Math.trunc(total / 3600);
  const m = Math.trunc((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
