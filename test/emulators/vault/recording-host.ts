// A host that must never see a Vault token: answers every request (200 {} unless told otherwise) and
// records method, path (with query) and all headers, over HTTP or HTTPS with a given certificate.
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  // Request body bytes received so far.
  bodyBytes: number;
}

export interface RecordingHostOptions {
  tls?: { certPem: string; keyPem: string };
  answer?: { status?: number; body?: string; headers?: Record<string, string> };
}

export interface RecordingHost {
  url: string;
  requests(): RecordedRequest[];
  close(): Promise<void>;
}

// Starts the host on 127.0.0.1:0; url is http(s)://127.0.0.1:<port> without a trailing slash.
export async function startRecordingHost(opts: RecordingHostOptions = {}): Promise<RecordingHost> {
  const seen: RecordedRequest[] = [];
  const status = opts.answer?.status ?? 200;
  const body = opts.answer?.body ?? '{}';
  const headers = { 'Content-Type': 'application/json', ...opts.answer?.headers };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const entry: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: { ...req.headers },
      bodyBytes: 0,
    };
    seen.push(entry);
    req.on('data', (chunk: Buffer) => (entry.bodyBytes += chunk.length));
    req.on('end', () => {
      res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
  const server: Server =
    opts.tls === undefined
      ? createHttp(handler)
      : createHttps({ cert: opts.tls.certPem, key: opts.tls.keyPem }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `${opts.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    requests: () => seen.map((r) => ({ ...r, headers: { ...r.headers } })),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
