// When a Kubernetes call is tried again, and after how long.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRetryableError, isRetryableStatus, retryDelayMs } from '../../src/kube/retry-policy.ts';

test('429 and 5xx are retried; other answers are the answer', () => {
  for (const s of [429, 500, 502, 503, 504]) assert.equal(isRetryableStatus(s), true, String(s));
  for (const s of [400, 401, 403, 404, 409, 422]) assert.equal(isRetryableStatus(s), false, String(s));
});

test('resets, refusals, timeouts (ours and undici’s) are retried, also when wrapped', () => {
  const code = (c: string): Error => Object.assign(new Error(c), { code: c });
  for (const c of ['ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT'])
    assert.equal(isRetryableError(code(c)), true, c);
  assert.equal(isRetryableError(new Error('x', { cause: code('ECONNRESET') })), true);
  assert.equal(isRetryableError(new DOMException('timed out', 'TimeoutError')), true);
  assert.equal(isRetryableError(code('ERR_TLS_CERT_ALTNAME_INVALID')), false);
  assert.equal(isRetryableError(new Error('plain')), false);
});

test('backoff doubles with jitter and a cap; Retry-After wins when longer', () => {
  const mid = (): number => 0.5;
  assert.equal(retryDelayMs(0, undefined, mid), 250 * 0.75);
  assert.equal(retryDelayMs(3, undefined, mid), 2000 * 0.75);
  assert.ok(retryDelayMs(20, undefined, mid) <= 8000);
  assert.equal(retryDelayMs(0, '3', mid), 3000);
  assert.equal(retryDelayMs(0, 'soon', mid), 250 * 0.75);
  assert.ok(retryDelayMs(0, '3600', mid) <= 16_000, 'a huge Retry-After is capped');
});
