// The Kubernetes REST calls this task makes, over one undici Agent: every request has a deadline, is
// cancelled with the task, retries 429/5xx/resets a bounded number of times, and reads at most a small
// error body. Failures become a KubeError naming the object, never the raw response.
import { Agent, request, type Dispatcher } from '../http/undici.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeError } from '../errors.ts';
import { readCapped } from '../http/read-capped.ts';
import type { KubeConnection } from './connection.ts';
import { isRetryableError, isRetryableStatus, MAX_ATTEMPTS, retryDelayMs } from './retry-policy.ts';

const REQUEST_TIMEOUT_MS = 15_000;
const MAX_ERROR_BODY = 64 * 1024;
const MAX_BODY = 8 * 1024 * 1024;

export interface KubeRequest {
  method?: Dispatcher.HttpMethod;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface KubeApiOptions {
  // Cancels every request (the task's SIGTERM).
  signal?: AbortSignal;
  requestTimeoutMs?: number;
  maxAttempts?: number;
  // Seen each time a request is retried: the reason and the wait.
  onRetry?: (what: string, reason: string, delayMs: number) => void;
}

export class KubeApi {
  private readonly agent: Agent;
  private readonly conn: KubeConnection;
  private readonly o: KubeApiOptions;

  constructor(conn: KubeConnection, o: KubeApiOptions = {}) {
    this.conn = conn;
    this.o = o;
    const timeout = o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.agent = new Agent({
      connect: {
        ...(conn.caPem !== undefined ? { ca: conn.caPem } : {}),
        ...(conn.clientCert !== undefined
          ? { cert: conn.clientCert.certPem, key: conn.clientCert.keyPem }
          : {}),
        rejectUnauthorized: !conn.insecureSkipTlsVerify,
        timeout,
      },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 4_000,
    });
  }

  get source(): string {
    return this.conn.source;
  }

  // A JSON request that must answer 2xx; `what` reads like "get secret demo/vault-keys".
  async call<T>(what: string, r: KubeRequest): Promise<T> {
    const attempts = this.o.maxAttempts ?? MAX_ATTEMPTS;
    for (let attempt = 0; ; attempt++) {
      const signals = [AbortSignal.timeout(this.o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS)];
      if (this.o.signal !== undefined) signals.push(this.o.signal);
      if (r.signal !== undefined) signals.push(r.signal);
      const signal = AbortSignal.any(signals);
      let res: Dispatcher.ResponseData;
      try {
        res = await this.send(r, signal);
      } catch (err) {
        if (this.cancelled(r)) throw new KubeError(`${what}: cancelled`, undefined, { cause: err });
        if (attempt + 1 < attempts && isRetryableError(err)) {
          await this.pause(what, describe(err), attempt, undefined, r);
          continue;
        }
        throw new KubeError(`${what}: ${describe(err)}`, undefined, { cause: err });
      }
      if (res.statusCode >= 200 && res.statusCode < 300) {
        const text = (await readCapped(res.body, MAX_BODY)).toString('utf8');
        return (text === '' ? {} : JSON.parse(text)) as T;
      }
      const status = statusOf(await readCapped(res.body, MAX_ERROR_BODY));
      if (attempt + 1 < attempts && isRetryableStatus(res.statusCode)) {
        const retryAfter = res.headers['retry-after'];
        await this.pause(
          what,
          `${res.statusCode} ${status.reason}`,
          attempt,
          typeof retryAfter === 'string' ? retryAfter : undefined,
          r,
        );
        continue;
      }
      const detail = [status.reason, status.message].filter((s) => s !== '').join(': ');
      throw new KubeError(`${what}: ${res.statusCode}${detail !== '' ? ` ${detail}` : ''}`, res.statusCode);
    }
  }

  close(): Promise<void> {
    return this.agent.destroy();
  }

  private async send(r: KubeRequest, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const url = new URL(r.path, `${this.conn.server}/`);
    for (const [k, v] of Object.entries(r.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json' };
    const auth = await this.conn.authorization();
    if (auth !== undefined) headers['authorization'] = auth;
    let body: string | undefined;
    if (r.body !== undefined) {
      body = JSON.stringify(r.body);
      headers['content-type'] = r.contentType ?? 'application/json';
    }
    return request(url, {
      dispatcher: this.agent,
      method: r.method ?? 'GET',
      headers,
      signal,
      ...(body !== undefined ? { body } : {}),
    });
  }

  private cancelled(r: KubeRequest): boolean {
    return this.o.signal?.aborted === true || r.signal?.aborted === true;
  }

  private async pause(
    what: string,
    reason: string,
    attempt: number,
    retryAfter: string | undefined,
    r: KubeRequest,
  ): Promise<void> {
    const delayMs = retryDelayMs(attempt, retryAfter);
    this.o.onRetry?.(what, reason, delayMs);
    const signals = [this.o.signal, r.signal].filter((s): s is AbortSignal => s !== undefined);
    try {
      await sleep(delayMs, undefined, signals.length > 0 ? { signal: AbortSignal.any(signals) } : {});
    } catch (err) {
      throw new KubeError(`${what}: cancelled`, undefined, { cause: err });
    }
  }
}

function statusOf(raw: Buffer): { reason: string; message: string } {
  try {
    const o = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    return {
      reason: typeof o['reason'] === 'string' ? o['reason'] : '',
      message: typeof o['message'] === 'string' ? o['message'].slice(0, 300) : '',
    };
  } catch {
    return { reason: '', message: '' };
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'no answer within the request deadline';
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${cause}`;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeError && err.status === 404;
}
