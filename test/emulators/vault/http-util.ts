// Response helpers with Vault's envelope conventions: {"errors":[...]} bodies, go-multierror wording,
// token extraction (X-Vault-Token, then "Authorization: Bearer"), small JSON request bodies.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { withEchoedToken } from './token-echo.ts';

// go-multierror's Error() text, which core wraps most handler errors in.
export function multiError(messages: string[]): string {
  const head = messages.length === 1 ? '1 error occurred:' : `${messages.length} errors occurred:`;
  return `${head}\n\t${messages.map((m) => `* ${m}`).join('\n\t')}\n\n`;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

// respondError: {"errors":[msg...]} (empty list when there is no message).
// With the echoTokenInErrors fault the messages also repeat the request's token (token-echo.ts).
export function sendErrors(res: ServerResponse, status: number, errors: string[]): void {
  sendJson(res, status, { errors: withEchoedToken(res, errors) });
}

export const SEALED = 'Vault is sealed';

export function sendSealed(res: ServerResponse): void {
  sendErrors(res, 503, [SEALED]);
}

// Token from X-Vault-Token, else from an "Authorization: Bearer <t>" header (http/handler.go getTokenFromReq).
export function tokenFromRequest(req: IncomingMessage): string | undefined {
  const direct = req.headers['x-vault-token'];
  if (typeof direct === 'string' && direct !== '') return direct;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  return undefined;
}

// Which header carries the token Vault would use: X-Vault-Token first, then an "Authorization: Bearer" value.
export function tokenHeaderOf(req: IncomingMessage): 'x-vault-token' | 'authorization' | 'none' {
  const direct = req.headers['x-vault-token'];
  if (typeof direct === 'string' && direct !== '') return 'x-vault-token';
  const auth = req.headers.authorization;
  return typeof auth === 'string' && auth.startsWith('Bearer ') ? 'authorization' : 'none';
}

// Reads a small JSON body (or {} when empty); rejects with Vault's parse error text.
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 32 * 1024 * 1024) throw new Error('http: request body too large');
    parts.push(chunk);
  }
  const text = Buffer.concat(parts).toString('utf8').trim();
  if (text === '') return {};
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('failed to parse JSON input');
  return parsed as Record<string, unknown>;
}

// Case-insensitive field lookup, as Go's encoding/json matches untagged struct fields.
export function field(body: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
}

// The logical response envelope, with `data` optionally copied to the top level (injectDataIntoTopRoutes).
export function envelope(data: Record<string, unknown>, inject: boolean): Record<string, unknown> {
  const base = {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: 'system',
  };
  return inject ? { ...data, ...base } : base;
}
