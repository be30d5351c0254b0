// Progress for long streams: bytes and rate logged every few seconds, plus a final line.
import type { Logger } from '../log.ts';

export interface Progress {
  update(totalBytes: number): void;
  finish(): { bytes: number; seconds: number };
}

export function startProgress(log: Logger, what: string, everyMs = 5000): Progress {
  const started = performance.now();
  let bytes = 0;
  let lastBytes = 0;
  let lastAt = started;
  const timer = setInterval(() => {
    const now = performance.now();
    const rate = ((bytes - lastBytes) / 1048576 / ((now - lastAt) / 1000)).toFixed(1);
    log.info({ what, bytes, mib: +(bytes / 1048576).toFixed(1), rateMiBps: +rate }, 'progress');
    lastBytes = bytes;
    lastAt = now;
  }, everyMs).unref();
  return {
    update: (total) => {
      bytes = total;
    },
    finish: () => {
      clearInterval(timer);
      return { bytes, seconds: (performance.now() - started) / 1000 };
    },
  };
}
