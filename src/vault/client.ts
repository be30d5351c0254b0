// The one HTTP client to Vault: a dedicated undici Agent verifying TLS with the AppBinding's CA (and
// serverName), the token only in the X-Vault-Token header, Vault's {"errors":[...]} turned into VaultError.
import { Agent, request, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import { VaultError } from '../errors.ts';

export interface VaultTls {
  caPem: string | undefined;
  serverName: string | undefined;
  insecureSkipVerify: boolean;
}

export interface VaultResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { text(): Promise<string>; json(): Promise<unknown>; dump(): Promise<void> };
}

export interface RequestOptions {
  method?: Dispatcher.HttpMethod;
  query?: Record<string, string>;
  json?: unknown;
  body?: Readable;
  signal?: AbortSignal;
}

const DEFAULT_STREAM_TIMEOUT_MS = 30 * 60_000;

export class VaultClient {
  private readonly agent: Agent;
  private readonly token: string;

  constructor(token: string, tls: VaultTls, clientTimeoutMs?: number) {
    this.token = token;
    const timeout = clientTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS;
    this.agent = new Agent({
      connect: {
        ...(tls.caPem !== undefined ? { ca: tls.caPem } : {}),
        ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
        rejectUnauthorized: !tls.insecureSkipVerify,
      },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 1000,
    });
  }

  // Raw request against one base URL; the caller owns the body. Redirects are never followed here.
  async send(baseUrl: string, path: string, o: RequestOptions = {}): Promise<VaultResponse> {
    const url = new URL(`v1/${path}`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { 'x-vault-token': this.token };
    let body: string | Readable | undefined = o.body;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['content-type'] = 'application/json';
    }
    const res = await request(url, {
      dispatcher: this.agent,
      method: o.method ?? 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  // JSON request that must succeed (2xx); anything else becomes a VaultError with Vault's own words.
  async json(baseUrl: string, path: string, o: RequestOptions = {}): Promise<Record<string, unknown>> {
    const res = await this.send(baseUrl, path, o);
    if (res.status < 200 || res.status >= 300) throw await vaultError(res, o.method ?? 'GET', path);
    if (res.status === 204) {
      await res.body.dump();
      return {};
    }
    return (await res.body.json()) as Record<string, unknown>;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

// Reads the error body (bounded) and builds a VaultError; multierror text is flattened onto one line.
export async function vaultError(res: VaultResponse, method: string, path: string): Promise<VaultError> {
  let errors: string[] = [];
  try {
    const text = (await res.body.text()).slice(0, 4096);
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) errors = parsed.errors.map((e) => flatten(String(e)));
  } catch {
    // Not JSON (e.g. a proxy page): the status alone must do.
  }
  const detail = errors.length > 0 ? `: ${errors.join('; ')}` : '';
  return new VaultError(`Vault ${method} /v1/${path} answered ${res.status}${detail}`, res.status, errors);
}

function flatten(text: string): string {
  return text
    .replace(/\s*\n\t\*\s*/g, ' * ')
    .replace(/\s+/g, ' ')
    .trim();
}
