import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProcessingTime, formatSize, goDuration } from '../../src/output/go-format.ts';
import { appBindingRef, hostStats, snapshotStats, taskOutput, writeOutput } from '../../src/output/output.ts';

test('Go time.Duration.String()', () => {
  assert.equal(goDuration(0n), '0s');
  assert.equal(goDuration(999n), '999ns');
  assert.equal(goDuration(1_500n), '1.5µs');
  assert.equal(goDuration(850_000_000n), '850ms');
  assert.equal(goDuration(4_512_304_000n), '4.512304s');
  assert.equal(goDuration(63_200_000_000n), '1m3.2s');
  assert.equal(goDuration(120_000_000_000n), '2m0s');
  assert.equal(goDuration(3_723_500_000_000n), '1h2m3.5s');
  assert.equal(goDuration(3_600_000_000_000n), '1h0m0s');
});

test('sizes use strict > thresholds like the Stash wrapper', () => {
  assert.equal(formatSize(0), '0 B');
  assert.equal(formatSize(1024), '1024 B');
  assert.equal(formatSize(1025), '1.001 KiB');
  assert.equal(formatSize(77_688), '75.867 KiB');
  assert.equal(formatSize(1024 ** 2 + 1), '1.000 MiB');
  assert.equal(formatSize(5 * 1024 ** 3), '5.000 GiB');
  assert.equal(formatSize(2 * 1024 ** 4), '2.000 TiB');
});

test('processing time is M:SS or H:MM:SS, truncated', () => {
  assert.equal(formatProcessingTime(3.9), '0:03');
  assert.equal(formatProcessingTime(720), '12:00');
  assert.equal(formatProcessingTime(3725.2), '1:02:05');
});

test('output.json: success shape, key order and 0777 mode', async () => {
  const stats = snapshotStats({
    snapshotId: 'abcd1234',
    path: 'vault-raft.snap',
    totalBytesProcessed: 2048,
    dataAdded: 4096,
    totalDurationSeconds: 1.2,
    filesNew: 1,
    filesChanged: 0,
    filesUnmodified: 0,
    totalFilesProcessed: 1,
  });
  const out = taskOutput(
    appBindingRef('vault', 'demo'),
    hostStats({ hostname: 'host-0', phase: 'Succeeded', duration: '1.5s', snapshots: [stats] }),
  );
  const dir = join(mkdtempSync(join(tmpdir(), 'out-')), 'output');
  const path = await writeOutput(dir, out);
  const text = readFileSync(path, 'utf8');
  assert.equal(statSync(path).mode & 0o777, 0o777);
  assert.equal(text, JSON.stringify(out, null, 2) + '\n');
  const parsed = JSON.parse(text);
  assert.deepEqual(Object.keys(parsed.targetStatus.stats[0]), ['hostname', 'phase', 'snapshots', 'duration']);
  assert.deepEqual(parsed.targetStatus.stats[0].snapshots[0], {
    name: 'abcd1234',
    path: 'vault-raft.snap',
    totalSize: '2.000 KiB',
    uploaded: '4.000 KiB',
    processingTime: '0:01',
    fileStats: { totalFiles: 1, newFiles: 1, modifiedFiles: 0, unmodifiedFiles: 0 },
  });
});

test('output.json: failure omits empty hostname and keeps the error', () => {
  const h = hostStats({ hostname: '', phase: 'Failed', duration: '2s', error: 'boom' });
  assert.deepEqual(h, { phase: 'Failed', duration: '2s', error: 'boom' });
});
