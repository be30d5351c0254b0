// streamIntoRestic against real restic 0.14 and 0.18: good input is stored byte for byte; a source that
// fails, a failed check or a cancel leaves no snapshot, because restic never sees EOF.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { openResticSession } from '../../src/restic/session.ts';
import { storeObject } from '../../src/restic/objects.ts';
import { forgetRun } from '../../src/restic/objects.ts';
import { SourceError } from '../../src/errors.ts';
import { captureLog } from '../helpers/log-sink.ts';
import { newLocalRepo, restic, resticVersions, snapshots, TEST_PASSWORD } from '../helpers/restic.ts';

for (const v of resticVersions()) {
  describe(`restic ${v.label}: streaming into backup --stdin`, () => {
    const withSession = async (
      fn: (s: Awaited<ReturnType<typeof openResticSession>>, repo: string) => Promise<void>,
    ) => {
      const repo = newLocalRepo(v);
      const scratch = mkdtempSync(join(tmpdir(), 'scratch-'));
      const oldPath = process.env['PATH'];
      process.env['PATH'] = `${v.binDir}:${oldPath}`;
      const session = await openResticSession(
        {
          provider: 'local',
          bucket: repo,
          endpoint: '',
          region: '',
          prefix: '',
          insecureTls: false,
          storageSecretName: '',
          storageSecretNamespace: '',
          maxConnections: 0,
          enableCache: false,
          scratchDir: scratch,
        },
        { RESTIC_PASSWORD: Buffer.from(TEST_PASSWORD) },
        captureLog().log,
      );
      try {
        await fn(session, repo);
      } finally {
        process.env['PATH'] = oldPath;
        await session.close();
      }
    };

    test('a complete stream is stored byte for byte', async () => {
      await withSession(async (s, repo) => {
        const data = randomBytes(3 * 1024 * 1024 + 17);
        const chunks = Array.from({ length: 50 }, (_, i) =>
          data.subarray(Math.floor((i * data.length) / 50), Math.floor(((i + 1) * data.length) / 50)),
        );
        const r = await storeObject(
          s,
          { filename: 'x.bin', host: 'host-0', tags: ['t=1'] },
          Readable.from(chunks),
        );
        assert.equal(r.streamedBytes, data.length);
        const list = snapshots(v, repo);
        assert.equal(list.length, 1);
        assert.deepEqual(list[0]?.tags, ['t=1']);
        assert.equal(list[0]?.hostname, 'host-0');
        assert.ok(restic(v, repo, ['dump', list[0]?.id ?? '', '/x.bin', '--no-cache']).equals(data));
      });
    });

    test('a source that fails mid-stream leaves no snapshot', async () => {
      await withSession(async (s, repo) => {
        async function* failing() {
          for (let i = 0; i < 8; i++) yield randomBytes(64 * 1024);
          throw new Error('connection reset');
        }
        await assert.rejects(
          storeObject(s, { filename: 'x', host: 'h', tags: [] }, Readable.from(failing())),
          /connection reset/,
        );
        assert.equal(snapshots(v, repo).length, 0);
      });
    });

    test('a failed verification after the last byte leaves no snapshot', async () => {
      await withSession(async (s, repo) => {
        const src = Readable.from([randomBytes(200_000)]);
        await assert.rejects(
          storeObject(s, { filename: 'x', host: 'h', tags: [] }, src, {
            verify: () => {
              throw new SourceError('archive incomplete');
            },
          }),
          /archive incomplete/,
        );
        assert.equal(snapshots(v, repo).length, 0);
      });
    });

    test('cancellation once restic has data leaves no snapshot and no lock', async () => {
      await withSession(async (s, repo) => {
        const ac = new AbortController();
        // The cancel comes at a defined point: 3 MiB produced, so restic holds its lock and has read
        // at least the first 1 MiB batch; then the source goes slow, as a stalled Vault would.
        let abortedAt = 0;
        async function* stalling() {
          for (let i = 0; i < 96; i++) yield randomBytes(32 * 1024);
          yield randomBytes(32 * 1024);
          abortedAt = performance.now();
          ac.abort(new Error('cancelled by SIGTERM'));
          // The next batch never fills: only the cancel can end the wait.
          await new Promise(() => undefined);
        }
        await assert.rejects(
          storeObject(s, { filename: 'x', host: 'h', tags: [] }, Readable.from(stalling()), {
            signal: ac.signal,
          }),
          /cancelled/,
        );
        const seconds = (performance.now() - abortedAt) / 1000;
        assert.ok(seconds < 20, `the cancel took ${seconds.toFixed(1)} s to act on`);
        assert.equal(snapshots(v, repo).length, 0);
        const locks = restic(v, repo, ['list', 'locks', '--no-lock', '--no-cache']).toString().trim();
        assert.equal(locks, '');
      });
    });

    test('forgetRun removes exactly the objects of one run', async () => {
      await withSession(async (s, repo) => {
        await storeObject(
          s,
          { filename: 'a', host: 'h', tags: ['run=1'] },
          Readable.from([Buffer.from('aaaa')]),
        );
        await storeObject(
          s,
          { filename: 'b', host: 'h', tags: ['run=1'] },
          Readable.from([Buffer.from('bbbb')]),
        );
        await storeObject(
          s,
          { filename: 'c', host: 'h', tags: ['run=2'] },
          Readable.from([Buffer.from('cccc')]),
        );
        const removed = await forgetRun(s, 'run=1');
        assert.equal(removed.length, 2);
        assert.deepEqual(
          snapshots(v, repo).map((x) => x.tags),
          [['run=2']],
        );
        assert.deepEqual(await forgetRun(s, 'run=9'), []);
      });
    });
  });
}
