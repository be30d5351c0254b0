// The one HTTP client to Vault: a dedicated undici Agent verifying TLS with the AppBinding's CA (and
// serverName), the token only in the X-Vault-Token header, every request cancelled with the task, small
// calls under a deadline, error bodies read only up to a few KiB, Vault's {"errors":[...]} as VaultError.
import { Agent, request, type Dispatcher } from '../http/undici.ts';
import type { Readable } from 'node:stream';
import { VaultError } from '../errors.ts';
import { readCapped } from '../http/read-capped.ts';

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
  // Whole-request deadline for small calls; streams rely on the idle timeouts instead.
  deadlineMs?: number;
  // A connection of its own, never a pooled one: a kept-alive connection can be closed by the server just
  // as a request goes out on it, and a streamed upload cannot be sent twice (the "other side closed" race).
  freshConnection?: boolean;
}

export interface VaultClientOptions {
  // Idle timeout of streams (headers and body), from --vault-args -client-timeout.
  clientTimeoutMs?: number | undefined;
  // Cancels every request (the task's SIGTERM).
  signal?: AbortSignal;
}

const DEFAULT_STREAM_TIMEOUT_MS = 30 * 60_000;
// Small JSON calls (health, leader, capabilities) answer in milliseconds on a healthy node.
export const SMALL_CALL_DEADLINE_MS = 30_000;
const MAX_ERROR_BODY = 64 * 1024;

export class VaultClient {
  private readonly agent: Agent;
  private readonly agentOptions: ConstructorParameters<typeof Agent>[0];
  private readonly token: string;
  private readonly signal: AbortSignal | undefined;
  readonly tls: VaultTls;

  constructor(token: string, tls: VaultTls, o: VaultClientOptions = {}) {
    this.token = token;
    this.tls = tls;
    this.signal = o.signal;
    const timeout = o.clientTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS;
    this.agentOptions = {
      connect: {
        ...(tls.caPem !== undefined ? { ca: tls.caPem } : {}),
        ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
        rejectUnauthorized: !tls.insecureSkipVerify,
        timeout: Math.min(timeout, SMALL_CALL_DEADLINE_MS),
      },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 1000,
    };
    this.agent = new Agent(this.agentOptions);
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
    const signals = [this.signal, o.signal].filter((s): s is AbortSignal => s !== undefined);
    if (o.deadlineMs !== undefined) signals.push(AbortSignal.timeout(Math.max(1, o.deadlineMs)));
    const dispatcher = o.freshConnection === true ? new Agent(this.agentOptions) : this.agent;
    const done = (): void => {
      if (dispatcher !== this.agent) void dispatcher.destroy().catch(() => undefined);
    };
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        dispatcher,
        method: o.method ?? 'GET',
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
      });
    } catch (err) {
      done();
      throw err;
    }
    if (dispatcher !== this.agent) res.body.once('close', done);
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  // JSON request that must succeed (2xx); anything else becomes a VaultError with Vault's own words.
  async json(baseUrl: string, path: string, o: RequestOptions = {}): Promise<Record<string, unknown>> {
    const res = await this.send(baseUrl, path, { deadlineMs: SMALL_CALL_DEADLINE_MS, ...o });
    if (res.status < 200 || res.status >= 300) throw await vaultError(res, o.method ?? 'GET', path);
    if (res.status === 204) {
      await res.body.dump();
      return {};
    }
    return (await res.body.json()) as Record<string, unknown>;
  }

  close(): Promise<void> {
    return this.agent.destroy();
  }
}

// Reads a bounded part of the error body (then drops the connection) and builds a VaultError;
// multierror text is flattened onto one line.
export async function vaultError(res: VaultResponse, method: string, path: string): Promise<VaultError> {
  let errors: string[] = [];
  try {
    const text = (await readCapped(res.body, MAX_ERROR_BODY)).toString('utf8');
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) errors = parsed.errors.map((e) => flatten(String(e)).slice(0, 500));
  } catch {
    // Not JSON, or cut at the cap (e.g. a proxy page): the status alone must do.
  }
  const detail = errors.length > 0 ? `: ${errors.slice(0, 5).join('; ')}` : '';
  return new VaultError(`Vault ${method} /v1/${path} answered ${res.status}${detail}`, res.status, errors);
}

function flatten(text: string): string {
  return text
    .replace(/\s*\n\t\*\s*/g, ' * ')
    .replace(/\s+/g, ' ')
    .trim();
}
