// A pino destination that keeps every line, so tests can assert on logs and scan them for secrets.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.ts';

export interface CapturedLog {
  log: Logger;
  lines: string[];
  text(): string;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      cb();
    },
  });
  return { log: createLogger({ test: 'yes' }, sink, 'debug'), lines, text: () => lines.join('\n') };
}
