// The echoTokenInErrors fault: responses marked at request start carry the request's token inside every
// error message, as a misbehaving proxy would, so tests can prove the client scrubs error text.
import type { ServerResponse } from 'node:http';

const marked = new WeakMap<ServerResponse, string>();

// Marks `res`: its error bodies will repeat `token`.
export function markTokenEcho(res: ServerResponse, token: string): void {
  marked.set(res, token);
}

// The token to repeat in `res`'s error bodies, if the response was marked.
export function echoedToken(res: ServerResponse): string | undefined {
  return marked.get(res);
}

// Error messages with the marked token appended to each one (one message when there are none).
export function withEchoedToken(res: ServerResponse, errors: string[]): string[] {
  const token = marked.get(res);
  if (token === undefined) return errors;
  const tag = `(request token: ${token})`;
  return errors.length === 0 ? [tag] : errors.map((m) => `${m} ${tag}`);
}
