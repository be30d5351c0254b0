// Measurements from the OS, not from inside the measured process: wall time, the peak RSS of one pid
// (VmHWM, polled until exit) and the bytes it wrote (/proc/<pid>/io write_bytes).
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';

export interface Sample {
  seconds: number;
  peakRssMiB: number | undefined;
  writtenBytes: number | undefined;
}

export function watchPid(
  pid: number,
): () => { peakRssMiB: number | undefined; writtenBytes: number | undefined } {
  let hwm: number | undefined;
  let written: number | undefined;
  const read = (): void => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m?.[1]) hwm = Math.max(hwm ?? 0, Number(m[1]) / 1024);
      const io = /write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
      if (io?.[1]) written = Number(io[1]);
    } catch {
      // the process is gone; keep the last values
    }
  };
  read();
  const timer = setInterval(read, 20);
  return () => {
    clearInterval(timer);
    return { peakRssMiB: hwm, writtenBytes: written };
  };
}

// Runs a command with stdin from a file (or nothing) and stdout discarded; resolves with its wall time.
export function timeCommand(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  stdinFile?: string,
): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      'sh',
      ['-c', `exec "$0" "$@" ${stdinFile ? '< "$STDIN_FILE"' : ''} > /dev/null`, cmd, ...args],
      {
        env: { ...process.env, ...env, ...(stdinFile ? { STDIN_FILE: stdinFile } : {}) },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    // sh execs restic, so the pid is restic's own: its local disk writes (temporary pack files).
    const stop = child.pid === undefined ? undefined : watchPid(child.pid);
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => {
      const m = stop?.();
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-500)}`));
      else
        resolve({
          seconds: (performance.now() - started) / 1000,
          peakRssMiB: m?.peakRssMiB,
          writtenBytes: m?.writtenBytes,
        });
    });
  });
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
