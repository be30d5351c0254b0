// Measurements from the OS, not from inside the measured process. A command runs under GNU time, whose
// rusage covers the whole tree the command waited for (our CLI and every restic it started): wall time,
// CPU-seconds and bytes written to disk. Node's own peak RSS (VmHWM) is polled from /proc.
import { readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface Sample {
  seconds: number;
  cpuSeconds: number;
  // Bytes the tree wrote to local disk (ru_oublock × 512): restic's temporary packs, any interim copy.
  diskBytes: number;
  // VmHWM of the measured process itself (the Node CLI), when asked for.
  peakRssMiB: number | undefined;
  // stderr lines that matched MeasureOptions.countLines (counted as they came, whatever the volume).
  matchedLines: number;
  stderr: string;
}

export interface MeasureOptions {
  env?: Record<string, string>;
  stdinFile?: string;
  stdoutFile?: string;
  // Watch the command's own peak RSS (not restic's).
  watchRss?: boolean;
  countLines?: RegExp;
}

export function measure(cmd: string, args: string[], o: MeasureOptions = {}): Promise<Sample> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: run scripts/setup-tools.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'measure-'));
  const report = join(dir, 'time');
  const redirect = `${o.stdinFile !== undefined ? ' < "$STDIN_FILE"' : ''} > "\${STDOUT_FILE:-/dev/null}"`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      'sh',
      ['-c', `exec "$0" -f '%e %U %S %O' -o "$REPORT" "$@"${redirect}`, GNU_TIME, cmd, ...args],
      {
        env: {
          ...process.env,
          ...o.env,
          REPORT: report,
          ...(o.stdinFile !== undefined ? { STDIN_FILE: o.stdinFile } : {}),
          ...(o.stdoutFile !== undefined ? { STDOUT_FILE: o.stdoutFile } : {}),
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    let partial = '';
    let matchedLines = 0;
    child.stderr.on('data', (c: Buffer) => {
      const text = c.toString();
      stderr = (stderr + text).slice(-200_000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      if (o.countLines !== undefined) matchedLines += lines.filter((l) => o.countLines?.test(l)).length;
    });
    const watcher = o.watchRss === true && child.pid !== undefined ? watchChildRss(child.pid) : undefined;
    child.on('close', (code) => {
      const wall = (performance.now() - started) / 1000;
      const peak = watcher?.();
      try {
        const fields = readFileSync(report, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
        const [, user = 0, sys = 0, blocks = 0] = fields;
        if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${stderr.slice(-1500)}`));
        else
          resolve({
            seconds: wall,
            cpuSeconds: user + sys,
            diskBytes: blocks * 512,
            peakRssMiB: peak,
            matchedLines,
            stderr,
          });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

// GNU time runs the command as its child: poll that child's VmHWM until it exits.
function watchChildRss(timePid: number): () => number | undefined {
  let pid: number | undefined;
  let hwm: number | undefined;
  const timer = setInterval(() => {
    try {
      pid ??=
        Number(readFileSync(`/proc/${timePid}/task/${timePid}/children`, 'utf8').trim().split(' ')[0]) ||
        undefined;
      if (pid === undefined) return;
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m?.[1]) hwm = Math.max(hwm ?? 0, Number(m[1]) / 1024);
    } catch {
      // not started yet, or gone: keep the last value
    }
  }, 10);
  return () => {
    clearInterval(timer);
    return hwm;
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB)?$/i.exec(text.trim());
  if (!m?.[1]) throw new Error(`bad size ${text}`);
  const unit = (m[2] ?? '').toLowerCase();
  return Math.round(
    Number(m[1]) * (unit === 'gib' ? 1024 ** 3 : unit === 'mib' ? 1024 ** 2 : unit === 'kib' ? 1024 : 1),
  );
}
