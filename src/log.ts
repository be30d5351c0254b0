// The only place that configures pino: JSON lines on stderr (stdout stays free), synchronous because the
// process is short-lived, and redaction of every field that can hold a secret.
import { pino, type Logger, type DestinationStream } from 'pino';
import { scrubSecrets } from './secrets.ts';

export type { Logger } from 'pino';

// Field paths that may hold a secret; values are also never interpolated into messages.
export const REDACT_PATHS = [
  'token',
  '*.token',
  'password',
  '*.password',
  'value',
  '*.value',
  'headers.authorization',
  'headers["x-vault-token"]',
  '*.headers["x-vault-token"]',
  'env',
  '*.env',
  'data',
  '*.data',
  'stringData',
  '*.stringData',
  'key',
  'keys',
];

// Every line passes the secret scrubber on its way out: a value that slipped into a field pino does not
// redact (an error text that echoes a token, a URL with credentials) is still never written.
function scrubbing(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(scrubSecrets(line)) };
}

export function createLogger(
  bindings: Record<string, string> = {},
  destination: DestinationStream = pino.destination({ dest: 2, sync: true }),
  level: string = process.env['LOG_LEVEL'] ?? 'info',
): Logger {
  return pino(
    {
      level,
      base: bindings,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    scrubbing(destination),
  );
}
