// boundedCall, the deadline wrapper every cloud unsealer store sends its SDK calls through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskError } from '../../src/errors.ts';
import {
  boundedCall,
  CallCancelled,
  cloudDeadlines,
  deadlineFailure,
  DEFAULT_DEADLINES,
  NoAnswerError,
} from '../../src/keys/cloud-call.ts';

const D = { attemptMs: 100, attempts: 3, backoffMs: 10, totalMs: 1_000 };
const never = (): Promise<never> => new Promise<never>(() => undefined);
const transient = Object.assign(new Error('503'), { name: 'ServiceUnavailable' });
const isTransient = (e: unknown): boolean => e === transient;

test('production defaults: 10 s per attempt, 3 attempts, 0.5 s backoff doubling, 30 s in all', () => {
  assert.deepEqual(
    { ...DEFAULT_DEADLINES },
    { attemptMs: 10_000, attempts: 3, backoffMs: 500, totalMs: 30_000 },
  );
  assert.deepEqual(cloudDeadlines({ attemptMs: 5 }), { ...DEFAULT_DEADLINES, attemptMs: 5 });
  assert.throws(() => cloudDeadlines({ totalMs: 0 }), /totalMs must be a positive number/);
  assert.throws(() => cloudDeadlines({ attempts: Number.NaN }), /attempts must be a positive number/);
});

test('a transient failure is tried again after the backoff; a permanent one is thrown at once', async () => {
  let calls = 0;
  const value = await boundedCall(D, undefined, isTransient, () => {
    calls += 1;
    return calls === 1 ? Promise.reject(transient) : Promise.resolve('ok');
  });
  assert.deepEqual([value, calls], ['ok', 2]);
  const permanent = new Error('AccessDenied');
  calls = 0;
  await assert.rejects(
    boundedCall(D, undefined, isTransient, () => {
      calls += 1;
      return Promise.reject(permanent);
    }),
    (e) => e === permanent,
  );
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(
    boundedCall(D, undefined, isTransient, () => {
      calls += 1;
      return Promise.reject(transient);
    }),
    (e) => e === transient,
    'the last SDK error, not a generic one',
  );
  assert.equal(calls, 3);
});

test('no answer: each attempt is aborted at its deadline, and the whole call ends within totalMs', async () => {
  const signals: AbortSignal[] = [];
  const started = Date.now();
  const err = await boundedCall(
    { ...D, attempts: 10, totalMs: 250 },
    undefined,
    () => false,
    (s) => {
      signals.push(s);
      return never();
    },
  ).then(
    () => assert.fail('no answer cannot succeed'),
    (e: unknown) => e,
  );
  const took = Date.now() - started;
  assert.ok(took >= 240 && took < 450, `took ${took} ms`);
  assert.ok(err instanceof NoAnswerError);
  assert.match(
    err.message,
    /^no answer after 3 attempts in \d+ms \(at most 100ms per attempt, 10 attempts, 250ms in all\)$/,
  );
  assert.equal(signals.length, 3);
  assert.ok(
    signals.every((s) => s.aborted),
    'every attempt was aborted',
  );
});

test("the caller's signal ends a hung attempt or a backoff pause at once, and aborts the attempt", async () => {
  const ac = new AbortController();
  let inner: AbortSignal | undefined;
  const pending = boundedCall(
    { ...D, attemptMs: 10_000 },
    ac.signal,
    () => false,
    (s) => {
      inner = s;
      return never();
    },
  );
  setTimeout(() => ac.abort('stop'), 30);
  const started = Date.now();
  await assert.rejects(pending, (e) => e instanceof CallCancelled && e.reason === 'stop');
  assert.ok(Date.now() - started < 200);
  assert.equal(inner?.aborted, true);

  const during = new AbortController();
  const paused = boundedCall({ ...D, backoffMs: 10_000, totalMs: 60_000 }, during.signal, isTransient, () =>
    Promise.reject(transient),
  );
  setTimeout(() => during.abort(), 30);
  const t = Date.now();
  await assert.rejects(paused, (e) => e instanceof CallCancelled);
  assert.ok(Date.now() - t < 200, 'the backoff pause was cut short');

  let calls = 0;
  await assert.rejects(
    boundedCall(
      D,
      AbortSignal.abort(),
      () => false,
      () => {
        calls += 1;
        return Promise.resolve(1);
      },
    ),
    (e) => e instanceof CallCancelled,
  );
  assert.equal(calls, 0, 'an aborted signal starts nothing');
});

test('deadlineFailure: keys error for no answer, cancelled (or the TaskError reason) for an abort', () => {
  const noAnswer = deadlineFailure(
    'awsKmsSsm (x)',
    'read k',
    new NoAnswerError('no answer after 3 attempts'),
  );
  assert.equal(noAnswer?.code, 'keys');
  assert.equal(
    noAnswer?.message,
    'awsKmsSsm (x): cannot read k: no answer in time (no answer after 3 attempts)',
  );
  const cancelled = deadlineFailure('awsKmsSsm (x)', 'read k', new CallCancelled(undefined));
  assert.equal(cancelled?.code, 'cancelled');
  assert.equal(cancelled?.message, 'awsKmsSsm (x): read k was cancelled');
  const sigterm = new TaskError('cancelled', 'cancelled by SIGTERM');
  assert.equal(deadlineFailure('w', 'a', new CallCancelled(sigterm)), sigterm);
  assert.equal(deadlineFailure('w', 'a', new Error('other')), undefined);
});
