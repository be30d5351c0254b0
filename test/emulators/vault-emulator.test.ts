// The Vault Raft emulator against vault-snapshot-api.md: archive format, redirects, seal, health, ACL,
// snapshot faults and restores, all through the real undici client over loopback HTTP/HTTPS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import {
  BEARER_REJECTED,
  GO_WRITE_BYTES,
  buildSnapshotArchive,
  makeTlsVariants,
  openSealedSums,
  parseSnapshotArchive,
  startRecordingHost,
  startVaultCluster,
  startVaultClusterProcess,
  writeSnapshotArchiveFile,
  type ArchiveInput,
  type TlsVariants,
  type VaultCluster,
} from './vault/index.ts';
import { member } from './vault/archive-build.ts';
import { combineShares, splitSecret } from './vault/shamir.ts';
import { TAR_END } from './vault/tar.ts';
import { makeTestPki } from '../helpers/certs.ts';

const SNAP = '/v1/sys/storage/raft/snapshot';
const DENIED = '1 error occurred:\n\t* permission denied\n\n';
const INVALID = '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n';
const FOREIGN =
  'could not verify hash file, possibly the snapshot is using a different set of unseal keys; use the snapshot-force API to bypass this check';

const agent = new Agent({ keepAliveTimeout: 50, keepAliveMaxTimeout: 50 });
after(() => agent.close());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

async function call(
  url: string,
  opts: {
    method?: 'GET' | 'HEAD' | 'POST' | 'PUT';
    token?: string;
    body?: Buffer | string;
    dispatcher?: Agent;
    reset?: boolean;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers['x-vault-token'] = opts.token;
  const r = await request(url, {
    method: opts.method ?? 'GET',
    headers,
    dispatcher: opts.dispatcher ?? agent,
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.reset === true ? { reset: true } : {}),
  });
  const body = Buffer.from(await r.body.arrayBuffer());
  return { status: r.statusCode, headers: r.headers, body, text: body.toString('utf8') };
}

function errorsOf(r: Reply): unknown {
  return (JSON.parse(r.text) as { errors: unknown }).errors;
}

async function snapshot(c: VaultCluster, node = 0): Promise<Buffer> {
  const r = await call(`${c.nodes[node]?.url}${SNAP}`, { token: c.rootToken });
  assert.equal(r.status, 200);
  return r.body;
}

function restore(
  c: VaultCluster,
  body: Buffer,
  force = false,
  node = 0,
  token = c.rootToken,
): Promise<Reply> {
  return call(`${c.nodes[node]?.url}${SNAP}${force ? '-force' : ''}`, { method: 'POST', token, body });
}

const sampleInput = (): ArchiveInput => ({
  entries: [
    { key: 'logical/u1/b', value: Buffer.from('two') },
    { key: 'core/keyring', value: randomBytes(40) },
    { key: 'logical/u1/a', value: Buffer.from('one') },
  ],
  index: 42,
  term: 3,
  servers: [{ id: 'node0', address: '127.0.0.1:8201' }],
  sealKey: randomBytes(32),
});

describe('snapshot archive format', () => {
  test('build -> parse round-trips entries (sorted by key) and meta.json', () => {
    const input = sampleInput();
    const parsed = parseSnapshotArchive(buildSnapshotArchive(input));
    const sorted = [...input.entries].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    assert.deepEqual(parsed.entries, sorted);
    assert.equal(parsed.meta['ID'], 'bolt-snapshot');
    assert.equal(parsed.meta['Version'], 1);
    assert.equal(parsed.meta['Index'], 42);
    assert.equal(parsed.meta['Term'], 3);
    assert.equal(parsed.meta['Peers'], null);
    assert.deepEqual(parsed.meta['Configuration'], {
      Servers: [{ Suffrage: 0, ID: 'node0', Address: '127.0.0.1:8201' }],
    });
    assert.ok(parsed.sealed !== undefined && parsed.sealed.length > 0);
    assert.match(
      openSealedSums(input.sealKey, parsed.sealed).toString(),
      /^[0-9a-f]{64} {2}(meta\.json|state\.bin)\n/,
    );
    assert.throws(
      () => openSealedSums(randomBytes(32), parsed.sealed ?? Buffer.alloc(0)),
      /message authentication failed/,
    );
  });

  test('tar layout: four 0600 members, shared mtime, two zero blocks, SHA256SUMS lines in random order', () => {
    const orders = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const archive = buildSnapshotArchive(sampleInput());
      const sums = parseSnapshotArchive(archive).sums;
      assert.match(sums, /^([0-9a-f]{64} {2}(meta\.json|state\.bin)\n){2}$/);
      orders.add(sums.split('\n')[0]?.slice(66) ?? '');
      if (i > 0) continue;
      const tar = gunzipSync(archive);
      assert.equal(tar.length % 512, 0);
      assert.ok(tar.subarray(tar.length - 1024).equals(Buffer.alloc(1024)), 'ends with two zero blocks');
      const names: string[] = [];
      const mtimes = new Set<string>();
      for (let off = 0; off < tar.length - 1024;) {
        const h = tar.subarray(off, off + 512);
        names.push(h.subarray(0, 100).toString().replace(/\0.*$/s, ''));
        assert.equal(h.subarray(100, 107).toString(), '0000600');
        assert.equal(h.subarray(108, 115).toString(), '0000000');
        assert.equal(String.fromCharCode(h[156] ?? 0), '0');
        assert.equal(h.subarray(257, 263).toString(), 'ustar\0');
        mtimes.add(h.subarray(136, 147).toString());
        const size = parseInt(h.subarray(124, 135).toString(), 8);
        off += 512 + Math.ceil(size / 512) * 512;
      }
      assert.deepEqual(names, ['meta.json', 'state.bin', 'SHA256SUMS', 'SHA256SUMS.sealed']);
      assert.equal(mtimes.size, 1);
    }
    assert.deepEqual([...orders].sort(), ['meta.json', 'state.bin']);
  });

  test('truncated archives fail gunzip and parsing; foreign members and bad sums are rejected', () => {
    const archive = buildSnapshotArchive({
      ...sampleInput(),
      entries: [{ key: 'x', value: randomBytes(50_000) }],
    });
    const cut = archive.subarray(0, Math.floor(archive.length / 2));
    assert.throws(() => gunzipSync(cut), /unexpected end of file/);
    assert.throws(
      () => parseSnapshotArchive(cut),
      /failed to read snapshot file: failed to read or write snapshot data: unexpected EOF/,
    );
    assert.throws(
      () => parseSnapshotArchive(archive.subarray(0, archive.length - 4)),
      /failed to decompress snapshot: unexpected EOF/,
    );
    assert.throws(
      () => parseSnapshotArchive(Buffer.from('not gzip')),
      /failed to decompress snapshot: gzip: invalid header/,
    );
    const tar = gunzipSync(archive);
    const evil = gzipSync(
      Buffer.concat([
        tar.subarray(0, tar.length - 1024),
        ...member('evil.txt', Buffer.from('x'), 1),
        TAR_END,
      ]),
    );
    assert.throws(() => parseSnapshotArchive(evil), /unexpected file "evil.txt" in snapshot/);
    const bigMeta = gzipSync(Buffer.concat([...member('meta.json', Buffer.alloc(8192, 0x20), 1), TAR_END]));
    assert.throws(
      () => parseSnapshotArchive(bigMeta),
      /failed to read snapshot metadata: read max specified bytes \(8192\) without EOF/,
    );
    const corrupt = buildSnapshotArchive({ ...sampleInput(), corruptSums: true });
    assert.throws(
      () => parseSnapshotArchive(corrupt),
      /failed checking integrity of snapshot: hash check failed for "state.bin"/,
    );
  });

  test('writeSnapshotArchiveFile streams a parseable archive of about targetBytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-archive-'));
    try {
      const input = sampleInput();
      const path = join(dir, 'big.snap');
      await writeSnapshotArchiveFile(path, { ...input, targetBytes: 2 * 1024 * 1024, compressionLevel: 1 });
      const parsed = parseSnapshotArchive(readFileSync(path));
      const size = parsed.meta['Size'] as number;
      assert.ok(size >= 2 * 1024 * 1024 && size < 3.2 * 1024 * 1024, `Size ${size}`);
      for (const e of input.entries)
        assert.deepEqual(parsed.entries.find((x) => x.key === e.key)?.value, e.value);
      assert.ok(parsed.entries.filter((e) => e.key.startsWith('emu/filler/')).length >= 2);
      assert.ok(openSealedSums(input.sealKey, parsed.sealed ?? Buffer.alloc(0)).length > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('shamir shares: any threshold subset recombines the secret', () => {
    const secret = randomBytes(32);
    const shares = splitSecret(secret, 5, 3);
    assert.deepEqual(combineShares([shares[4], shares[0], shares[2]] as Buffer[]), secret);
    assert.notDeepEqual(combineShares([shares[1], shares[3]] as Buffer[]), secret);
  });
});

describe('routing, seal and health', () => {
  let c: VaultCluster;
  before(async () => {
    c = await startVaultCluster({ data: { 'secret/app/db': 'pw1' } });
  });
  after(() => c.close());

  test('a standby answers GET and POST snapshot with 307 to the active node, empty body, POST body unread', async () => {
    const get = await call(`${c.nodes[1]?.url}${SNAP}?foo=bar`, { token: c.rootToken });
    assert.equal(get.status, 307);
    assert.equal(get.headers['location'], `${c.nodes[0]?.apiAddr}${SNAP}?foo=bar`);
    assert.equal(get.body.length, 0);
    assert.equal(get.headers['cache-control'], 'no-store');
    const post = await call(`${c.nodes[2]?.url}${SNAP}-force`, {
      method: 'POST',
      token: c.rootToken,
      body: randomBytes(300_000),
    });
    assert.equal(post.status, 307);
    assert.equal(post.headers['location'], `${c.nodes[0]?.apiAddr}${SNAP}-force`);
    assert.equal(post.body.length, 0);
    const logged = c.restoreLog().at(-1);
    assert.deepEqual(logged, { force: true, status: 307, bytes: 0, node: 2 });
  });

  test('health: status precedence and query overrides; HEAD has no body', async () => {
    const url = (i: number, q = ''): string => `${c.nodes[i]?.url}/v1/sys/health${q}`;
    const active = await call(url(0));
    assert.equal(active.status, 200);
    const body = JSON.parse(active.text) as Record<string, unknown>;
    assert.equal(body['standby'], false);
    assert.equal(body['cluster_id'], c.clusterId);
    for (const k of [
      'initialized',
      'sealed',
      'performance_standby',
      'replication_performance_mode',
      'replication_dr_mode',
      'server_time_utc',
      'version',
      'cluster_name',
    ]) {
      assert.ok(k in body, k);
    }
    assert.equal((await call(url(1))).status, 429);
    assert.equal((await call(url(1, '?standbyok=true'))).status, 200);
    assert.equal((await call(url(1, '?standbycode=299'))).status, 299);
    assert.equal((await call(url(0, '?activecode=204'))).status, 204);
    const bad = await call(url(0, '?sealedcode=abc'));
    assert.equal(bad.status, 400);
    assert.deepEqual(errorsOf(bad), []);
    const head = await call(url(1), { method: 'HEAD' });
    assert.equal(head.status, 429);
    assert.equal(head.body.length, 0);
  });

  test('tokens: policy deny vs invalid token bodies, capabilities-self, lookup-self', async () => {
    const writer = c.createToken({ 'sys/storage/raft/snapshot': ['update'] });
    const reader = c.createToken({ 'sys/storage/raft/snapshot': ['read'] });
    const denied = await call(`${c.nodes[0]?.url}${SNAP}`, { token: writer });
    assert.equal(denied.status, 403);
    assert.deepEqual(errorsOf(denied), [DENIED]);
    assert.deepEqual(errorsOf(await call(`${c.nodes[0]?.url}${SNAP}`)), [INVALID]);
    const caps = await call(`${c.nodes[0]?.url}/v1/sys/capabilities-self`, {
      method: 'POST',
      token: reader,
      body: JSON.stringify({ paths: [SNAP.slice(4), `${SNAP.slice(4)}-force`] }),
    });
    const capsBody = JSON.parse(caps.text) as Record<string, unknown>;
    assert.deepEqual(capsBody['sys/storage/raft/snapshot'], ['read']);
    assert.deepEqual(capsBody['sys/storage/raft/snapshot-force'], ['deny']);
    assert.deepEqual((capsBody['data'] as Record<string, unknown>)['sys/storage/raft/snapshot'], ['read']);
    assert.equal('capabilities' in capsBody, false);
    const one = await call(`${c.nodes[0]?.url}/v1/sys/capabilities-self`, {
      method: 'POST',
      token: c.rootToken,
      body: JSON.stringify({ paths: ['sys/storage/raft/snapshot'] }),
    });
    assert.deepEqual((JSON.parse(one.text) as Record<string, unknown>)['capabilities'], ['root']);
    const lookup = JSON.parse(
      (await call(`${c.nodes[0]?.url}/v1/auth/token/lookup-self`, { token: reader })).text,
    ) as {
      data: { id: string; policies: string[] };
    };
    assert.equal(lookup.data.id, reader);
    assert.ok(lookup.data.policies.includes('default'));
    c.revokeToken(reader);
    assert.deepEqual(errorsOf(await call(`${c.nodes[0]?.url}${SNAP}`, { token: reader })), [INVALID]);
    const capsRevoked = await call(`${c.nodes[0]?.url}/v1/sys/capabilities-self`, {
      method: 'POST',
      token: reader,
      body: '{"paths":["x"]}',
    });
    assert.equal(capsRevoked.status, 403);
  });

  test('leaderUnknown: a standby cannot redirect (500) and sys/leader has no leader address', async () => {
    c.faults.leaderUnknown = true;
    try {
      const r = await call(`${c.nodes[1]?.url}${SNAP}`, { token: c.rootToken });
      assert.equal(r.status, 500);
      assert.deepEqual(errorsOf(r), ['local node not active but active cluster node not found']);
      const leader = JSON.parse((await call(`${c.nodes[1]?.url}/v1/sys/leader`)).text) as Record<
        string,
        unknown
      >;
      assert.equal(leader['leader_address'], '');
    } finally {
      c.clearFaults();
    }
    const leader = JSON.parse((await call(`${c.nodes[1]?.url}/v1/sys/leader`)).text) as Record<
      string,
      unknown
    >;
    assert.equal(leader['leader_address'], c.nodes[0]?.apiAddr);
    assert.equal(leader['is_self'], false);
    assert.equal(typeof leader['raft_committed_index'], 'number');
  });

  test('serviceUrl round-robins connections over every node; activeServiceUrl follows leadership', async () => {
    const before = c.requestLog().length;
    for (let i = 0; i < 3; i++) await call(`${c.serviceUrl}/v1/sys/seal-status`, { reset: true });
    const served = c
      .requestLog()
      .slice(before)
      .filter((e) => e.via === 'service')
      .map((e) => e.node);
    assert.deepEqual([...served].sort(), [0, 1, 2]);
    c.setActive(2);
    try {
      const leader = JSON.parse(
        (await call(`${c.activeServiceUrl}/v1/sys/leader`, { reset: true })).text,
      ) as Record<string, unknown>;
      assert.equal(leader['is_self'], true);
      assert.equal(leader['leader_address'], c.nodes[2]?.apiAddr);
      assert.equal(c.requestLog().at(-1)?.via, 'active-service');
    } finally {
      c.setActive(0);
    }
  });

  test('sealed node: 503 on snapshot, leader and health; seal-status 200; unseal errors', async () => {
    c.seal(1);
    try {
      assert.equal(c.isSealed(1), true);
      assert.equal(c.isSealed(), false);
      for (const path of [SNAP, '/v1/sys/leader']) {
        const r = await call(`${c.nodes[1]?.url}${path}`, { token: c.rootToken });
        assert.equal(r.status, 503, path);
        assert.deepEqual(errorsOf(r), ['Vault is sealed']);
      }
      const health = await call(`${c.nodes[1]?.url}/v1/sys/health?standbyok=true`);
      assert.equal(health.status, 503);
      assert.equal('cluster_id' in (JSON.parse(health.text) as object), false);
      assert.equal((await call(`${c.nodes[1]?.url}/v1/sys/health?sealedcode=500`)).status, 500);
      const ss = JSON.parse((await call(`${c.nodes[1]?.url}/v1/sys/seal-status`)).text) as Record<
        string,
        unknown
      >;
      assert.deepEqual(
        [ss['sealed'], ss['t'], ss['n'], ss['type'], ss['storage_type']],
        [true, 3, 5, 'shamir', 'raft'],
      );
      const unseal = (body: unknown, node = 1): Promise<Reply> =>
        call(`${c.nodes[node]?.url}/v1/sys/unseal`, { method: 'PUT', body: JSON.stringify(body) });
      assert.deepEqual(errorsOf(await unseal({})), [
        "'key' must be specified in request body as JSON, or 'reset' set to true",
      ]);
      assert.deepEqual(errorsOf(await unseal({ reset: true }, 0)), ['vault is unsealed']);
      assert.equal((await unseal({ key: randomBytes(33).toString('hex') })).status, 400);
      const p1 = JSON.parse((await unseal({ key: c.unsealKeys[0] })).text) as Record<string, unknown>;
      assert.equal(p1['progress'], 1);
      await unseal({ key: c.unsealKeys[3] });
      const done = JSON.parse((await unseal({ key: c.unsealKeys[1] })).text) as Record<string, unknown>;
      assert.equal(done['sealed'], false);
      assert.equal(c.isSealed(1), false);
    } finally {
      c.clearFaults();
    }
  });
});

describe('snapshot download faults', () => {
  let c: VaultCluster;
  before(async () => {
    c = await startVaultCluster({ nodes: 1, data: { 'secret/a': 'x' }, padStateBinBytes: 400_000 });
  });
  after(() => c.close());

  test('a clean download is chunked, gzip, attachment, parseable, and remembered byte for byte', async () => {
    const r = await call(`${c.nodes[0]?.url}${SNAP}`, { token: c.rootToken });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/gzip');
    assert.equal(r.headers['content-disposition'], 'attachment');
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(c.lastServedArchive(), r.body);
    assert.ok(parseSnapshotArchive(r.body).entries.some((e) => e.key.endsWith('/secret/a')));
  });

  test('truncateAfterBytes: 200 and a cleanly ended body of exactly N bytes that fails validation', async () => {
    const before = c.lastServedArchive();
    c.faults.truncateAfterBytes = 100_000;
    try {
      const r = await call(`${c.nodes[0]?.url}${SNAP}`, { token: c.rootToken });
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 100_000);
      assert.throws(() => parseSnapshotArchive(r.body), /unexpected EOF/);
      assert.equal(c.lastServedArchive(), before);
    } finally {
      c.clearFaults();
    }
  });

  test('resetAfterBytes: the client body errors', async () => {
    c.faults.resetAfterBytes = 70_000;
    try {
      const r = await request(`${c.nodes[0]?.url}${SNAP}`, {
        headers: { 'x-vault-token': c.rootToken },
        dispatcher: agent,
      });
      assert.equal(r.statusCode, 200);
      await assert.rejects(r.body.arrayBuffer());
    } finally {
      c.clearFaults();
    }
  });

  test('omitSealedSums and corruptSums produce otherwise valid archives that fail the right check', async () => {
    c.faults.omitSealedSums = true;
    const noSealed = await snapshot(c);
    assert.equal(parseSnapshotArchive(noSealed).sealed, undefined);
    c.clearFaults();
    c.faults.corruptSums = true;
    const corrupt = await snapshot(c);
    c.clearFaults();
    assert.throws(() => parseSnapshotArchive(corrupt), /hash check failed for "state.bin"/);
  });

  test('chunkDelayMs slows the stream; snapshotError500 keeps Content-Disposition on the JSON error', async () => {
    c.faults.chunkDelayMs = 40;
    const t0 = Date.now();
    const slow = await snapshot(c);
    const elapsed = Date.now() - t0;
    c.clearFaults();
    assert.ok(elapsed >= 4 * 40, `elapsed ${elapsed}ms for ${slow.length} bytes`);
    parseSnapshotArchive(slow);
    c.faults.snapshotError500 = true;
    const r = await call(`${c.nodes[0]?.url}${SNAP}`, { token: c.rootToken });
    c.clearFaults();
    assert.equal(r.status, 500);
    assert.equal(r.headers['content-disposition'], 'attachment');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.ok(Array.isArray(errorsOf(r)));
  });
});

describe('restore', () => {
  test('same-cluster restore: 204, 503 during the apply window, then data as at backup time', async () => {
    const c = await startVaultCluster({ data: { 'secret/app/db': 'pw1', 'secret/x': 'y' } });
    try {
      const backup = await snapshot(c);
      const atBackup = c.data();
      c.setData('secret/app/db', 'pw2');
      c.setData('secret/new', 'z');
      const indexBefore = (
        JSON.parse((await call(`${c.nodes[0]?.url}/v1/sys/leader`)).text) as { raft_committed_index: number }
      ).raft_committed_index;
      const r = await restore(c, backup);
      assert.equal(r.status, 204);
      assert.equal(r.body.length, 0);
      assert.equal((await call(`${c.nodes[0]?.url}/v1/sys/health`)).status, 503);
      assert.equal((await call(`${c.nodes[0]?.url}${SNAP}`, { token: c.rootToken })).status, 503);
      await c.waitForRestoreApplied();
      assert.deepEqual(c.data(), atBackup);
      assert.equal((await call(`${c.nodes[0]?.url}/v1/sys/health`)).status, 200);
      const leader = JSON.parse((await call(`${c.nodes[0]?.url}/v1/sys/leader`)).text) as {
        raft_committed_index: number;
        is_self: boolean;
      };
      assert.equal(leader.is_self, true);
      assert.ok(leader.raft_committed_index > indexBefore);
      assert.deepEqual(c.restoreLog().at(-1), { force: false, status: 204, bytes: backup.length, node: 0 });
    } finally {
      await c.close();
    }
  });

  test('foreign snapshot: 400 without force; with force the target takes the source identity and seals', async () => {
    const source = await startVaultCluster({
      nodes: 1,
      secretShares: 3,
      secretThreshold: 2,
      data: { 'secret/old': 'A' },
    });
    const target = await startVaultCluster({ data: { 'secret/new': 'B' } });
    try {
      const backup = await snapshot(source);
      const targetRoot = target.rootToken;
      const plain = await restore(target, backup);
      assert.equal(plain.status, 400);
      assert.deepEqual(errorsOf(plain), [FOREIGN]);
      await target.waitForRestoreApplied();
      assert.deepEqual(target.data(), { 'secret/new': 'B' });
      assert.equal((await restore(target, backup, true)).status, 204);
      await target.waitForRestoreApplied();
      assert.deepEqual(
        [0, 1, 2].map((i) => target.isSealed(i)),
        [true, true, true],
      );
      assert.equal(target.rootToken, source.rootToken);
      assert.deepEqual(target.unsealKeys, source.unsealKeys);
      assert.equal(target.threshold, 2);
      const ss = JSON.parse((await call(`${target.nodes[0]?.url}/v1/sys/seal-status`)).text) as Record<
        string,
        unknown
      >;
      assert.deepEqual([ss['t'], ss['n']], [2, 3]);
      const unseal = (key: string | undefined): Promise<Reply> =>
        call(`${target.nodes[0]?.url}/v1/sys/unseal`, { method: 'POST', body: JSON.stringify({ key }) });
      assert.equal((await unseal(randomBytes(33).toString('hex'))).status, 400);
      await unseal(source.unsealKeys[2]);
      const done = JSON.parse((await unseal(source.unsealKeys[0])).text) as Record<string, unknown>;
      assert.equal(done['sealed'], false);
      assert.equal(target.isSealed(1), false);
      assert.deepEqual(target.data(), { 'secret/old': 'A' });
      assert.deepEqual(
        errorsOf(await call(`${target.nodes[0]?.url}/v1/auth/token/lookup-self`, { token: targetRoot })),
        [INVALID],
      );
      assert.equal((await call(`${target.nodes[0]?.url}${SNAP}`, { token: source.rootToken })).status, 200);
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });

  test('truncated, foreign-member and corrupt uploads: 500 multierror, nothing applied', async () => {
    const c = await startVaultCluster({ nodes: 1, data: { k: 'v1' }, padStateBinBytes: 300_000 });
    try {
      const backup = await snapshot(c);
      c.setData('k', 'v2');
      const cut = await restore(c, backup.subarray(0, Math.floor(backup.length / 2)));
      assert.equal(cut.status, 500);
      assert.deepEqual(errorsOf(cut), [
        '1 error occurred:\n\t* failed to read snapshot file: failed to read or write snapshot data: unexpected EOF\n\n',
      ]);
      const tar = gunzipSync(backup);
      const evil = gzipSync(Buffer.concat([...member('evil.txt', Buffer.from('x'), 1), tar]));
      const evilReply = await restore(c, evil, true);
      assert.equal(evilReply.status, 500);
      assert.deepEqual(errorsOf(evilReply), [
        '1 error occurred:\n\t* failed to read snapshot file: unexpected file "evil.txt" in snapshot\n\n',
      ]);
      c.faults.omitSealedSums = true;
      const unsealed = await snapshot(c);
      c.clearFaults();
      assert.deepEqual(errorsOf(await restore(c, unsealed)), [FOREIGN]);
      c.faults.corruptSums = true;
      const corrupt = await snapshot(c);
      c.clearFaults();
      const bad = await restore(c, corrupt, true);
      assert.equal(bad.status, 500);
      assert.match(
        String(errorsOf(bad)),
        /failed checking integrity of snapshot: hash check failed for "state.bin"/,
      );
      await sleep(200);
      await c.waitForRestoreApplied();
      assert.deepEqual(c.data(), { k: 'v2' });
      assert.deepEqual(
        c.restoreLog().map((e) => e.status),
        [500, 500, 400, 500],
      );
    } finally {
      await c.close();
    }
  });

  test('an upload aborted by the client applies nothing and is logged with status 0', async () => {
    const c = await startVaultCluster({
      nodes: 1,
      data: { k: 'v1' },
      padStateBinBytes: 500_000,
      compressionLevel: 0,
    });
    try {
      const backup = await snapshot(c);
      c.setData('k', 'v2');
      const ac = new AbortController();
      async function* body(): AsyncGenerator<Buffer> {
        yield backup.subarray(0, 200_000);
        await sleep(100);
        ac.abort();
        yield backup.subarray(200_000);
      }
      await assert.rejects(
        request(`${c.nodes[0]?.url}${SNAP}`, {
          method: 'POST',
          headers: { 'x-vault-token': c.rootToken },
          body: Readable.from(body()),
          signal: ac.signal,
          dispatcher: agent,
        }),
      );
      await sleep(300);
      await c.waitForRestoreApplied();
      assert.deepEqual(c.data(), { k: 'v2' });
      const entry = c.restoreLog().at(-1);
      assert.equal(entry?.status, 0);
      assert.ok((entry?.bytes ?? 0) > 0 && (entry?.bytes ?? 0) < backup.length);
    } finally {
      await c.close();
    }
  });

  test('restoreReadTimeoutMs: a slow upload gets 500 "failed to read request body"', async () => {
    const c = await startVaultCluster({ nodes: 1, data: { k: 'v1' }, padStateBinBytes: 200_000 });
    try {
      const backup = await snapshot(c);
      c.faults.restoreReadTimeoutMs = 100;
      async function* slowBody(): AsyncGenerator<Buffer> {
        for (let off = 0; off < backup.length; off += 20_000) {
          yield backup.subarray(off, off + 20_000);
          await sleep(40);
        }
      }
      const r = await request(`${c.nodes[0]?.url}${SNAP}`, {
        method: 'POST',
        headers: { 'x-vault-token': c.rootToken },
        body: Readable.from(slowBody()),
        dispatcher: agent,
      });
      assert.equal(r.statusCode, 500);
      assert.deepEqual((JSON.parse(await r.body.text()) as { errors: string[] }).errors, [
        'failed to read request body',
      ]);
    } finally {
      await c.close();
    }
  });
});

describe('HTTPS', () => {
  test('nodes and both Service fronts serve TLS with the test CA (passthrough)', async () => {
    const pki = makeTestPki();
    const c = await startVaultCluster({ tls: { certPem: pki.certPem, keyPem: pki.keyPem } });
    const tlsAgent = new Agent({ keepAliveTimeout: 50, keepAliveMaxTimeout: 50, connect: { ca: pki.caPem } });
    try {
      assert.match(c.nodes[0]?.url ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await call(`${c.nodes[0]?.url}/v1/sys/health`, { dispatcher: tlsAgent })).status, 200);
      const viaService = await call(`${c.serviceUrl}/v1/sys/seal-status`, {
        dispatcher: tlsAgent,
        reset: true,
      });
      assert.equal(viaService.status, 200);
      const snap = await call(`${c.activeServiceUrl}${SNAP}`, { token: c.rootToken, dispatcher: tlsAgent });
      assert.equal(snap.status, 200);
      assert.ok(parseSnapshotArchive(snap.body).entries.length > 0);
      const redirect = await call(`${c.nodes[1]?.url}${SNAP}`, { token: c.rootToken, dispatcher: tlsAgent });
      assert.equal(redirect.headers['location'], `${c.nodes[0]?.apiAddr}${SNAP}`);
      await assert.rejects(call(`${c.nodes[0]?.url}/v1/sys/health`));
    } finally {
      await tlsAgent.close();
      await c.close();
    }
  });
});

// One GET over a raw HTTP/1.1 connection, so the chunked framing itself can be checked.
async function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ head: string; chunks: number[]; body: Buffer }> {
  const u = new URL(url);
  const socket = netConnect({ host: u.hostname, port: Number(u.port) });
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(
    `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n${lines.join('')}\r\n`,
  );
  const parts: Buffer[] = [];
  for await (const chunk of socket) parts.push(chunk as Buffer);
  const raw = Buffer.concat(parts);
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, split).toString('latin1');
  const chunks: number[] = [];
  const body: Buffer[] = [];
  for (let off = split + 4; off < raw.length;) {
    const eol = raw.indexOf('\r\n', off);
    const size = parseInt(raw.subarray(off, eol).toString('latin1'), 16);
    if (size === 0) break;
    chunks.push(size);
    body.push(raw.subarray(eol + 2, eol + 2 + size));
    off = eol + 2 + size + 2;
  }
  return { head, chunks, body: Buffer.concat(body) };
}

function headerOf(head: string, name: string): string | undefined {
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

// The error code of a failed request, looking through undici's cause chain.
function codeOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e !== undefined;) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return e.code;
    e = e.cause as typeof e | undefined;
  }
  return undefined;
}

describe('token header guard', () => {
  let c: VaultCluster;
  before(async () => {
    c = await startVaultCluster({ nodes: 1 });
  });
  after(() => c.close());

  test('an Authorization-only token gets 400 unless acceptBearer; every log entry names the token header', async () => {
    const reader = c.createToken({ 'sys/storage/raft/snapshot': ['read'] });
    const url = c.nodes[0]?.url ?? '';
    const bearer = await request(`${url}${SNAP}`, {
      headers: { authorization: `Bearer ${reader}` },
      dispatcher: agent,
    });
    assert.equal(bearer.statusCode, 400);
    assert.deepEqual((JSON.parse(await bearer.body.text()) as { errors: unknown }).errors, [BEARER_REJECTED]);
    const health = await request(`${url}/v1/sys/health`, {
      headers: { authorization: `Bearer ${reader}` },
      dispatcher: agent,
    });
    assert.equal(health.statusCode, 400);
    await health.body.dump();
    const both = await request(`${url}${SNAP}`, {
      headers: { 'x-vault-token': reader, authorization: 'Basic dXNlcjpwdw==' },
      dispatcher: agent,
    });
    assert.equal(both.statusCode, 200);
    await both.body.dump();
    assert.equal((await call(`${url}/v1/auth/token/lookup-self`, { token: reader })).status, 200);
    assert.equal((await call(`${url}/v1/sys/seal-status`)).status, 200);
    assert.deepEqual(
      c
        .requestLog()
        .slice(-5)
        .map((e) => [e.status, e.tokenHeader, e.authorizationHeader]),
      [
        [400, 'authorization', true],
        [400, 'authorization', true],
        [200, 'x-vault-token', true],
        [200, 'x-vault-token', false],
        [200, 'none', false],
      ],
    );
    const lenient = await startVaultCluster({ nodes: 1, acceptBearer: true });
    try {
      const r = await request(`${lenient.nodes[0]?.url}${SNAP}`, {
        headers: { authorization: `Bearer ${lenient.rootToken}` },
        dispatcher: agent,
      });
      assert.equal(r.statusCode, 200);
      parseSnapshotArchive(Buffer.from(await r.body.arrayBuffer()));
      assert.equal(lenient.requestLog().at(-1)?.tokenHeader, 'authorization');
    } finally {
      await lenient.close();
    }
  });
});

describe('Go-shaped snapshot responses', () => {
  let c: VaultCluster;
  let dir: string;
  before(async () => {
    c = await startVaultCluster({ nodes: 1, data: { 'secret/a': 'x' }, padStateBinBytes: 300_000 });
    dir = mkdtempSync(join(tmpdir(), 'vault-go-shape-'));
  });
  after(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the built archive goes out chunked in 32 KiB writes, without Content-Length', async () => {
    const r = await rawGet(`${c.nodes[0]?.url}${SNAP}`, { 'X-Vault-Token': c.rootToken });
    assert.match(r.head, /^HTTP\/1\.1 200 /);
    assert.equal(headerOf(r.head, 'transfer-encoding'), 'chunked');
    assert.equal(headerOf(r.head, 'content-length'), undefined);
    assert.equal(headerOf(r.head, 'content-type'), 'application/gzip');
    assert.equal(GO_WRITE_BYTES, 32 * 1024);
    assert.ok(r.chunks.length > 3, `${r.chunks.length} chunks`);
    assert.deepEqual(r.chunks.slice(0, -1), r.chunks.slice(0, -1).fill(GO_WRITE_BYTES));
    assert.ok((r.chunks.at(-1) ?? 0) <= GO_WRITE_BYTES);
    assert.deepEqual(c.lastServedArchive(), r.body);
  });

  test('serveArchiveFile streams the file as is in 32 KiB chunks and records nothing', async () => {
    const path = join(dir, 'file.snap');
    await writeSnapshotArchiveFile(path, { ...sampleInput(), targetBytes: 600_000, compressionLevel: 1 });
    const before = c.lastServedArchive();
    c.faults.serveArchiveFile = path;
    try {
      const r = await rawGet(`${c.nodes[0]?.url}${SNAP}`, { 'X-Vault-Token': c.rootToken });
      assert.equal(headerOf(r.head, 'transfer-encoding'), 'chunked');
      assert.equal(headerOf(r.head, 'content-length'), undefined);
      assert.deepEqual(r.body, readFileSync(path));
      assert.deepEqual(r.chunks.slice(0, -1), r.chunks.slice(0, -1).fill(GO_WRITE_BYTES));
      assert.equal(c.lastServedArchive(), before);
      c.faults.truncateAfterBytes = 100_000;
      const cut = await call(`${c.nodes[0]?.url}${SNAP}`, { token: c.rootToken });
      assert.equal(cut.status, 200);
      assert.equal(cut.body.length, 100_000);
    } finally {
      c.clearFaults();
    }
  });

  test('hugeErrorBytes: a streamed error body; the emulator counts what left it before the client quit', async () => {
    const huge = 400 * 1024 * 1024;
    c.faults.hugeErrorBytes = huge;
    const start = c.hugeErrorBytesSent();
    try {
      const r = await request(`${c.nodes[0]?.url}/v1/sys/health`, { dispatcher: agent });
      assert.equal(r.statusCode, 503);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['content-length'], undefined);
      let read = 0;
      let first = '';
      for await (const chunk of r.body) {
        if (first === '') first = (chunk as Buffer).subarray(0, 12).toString();
        read += (chunk as Buffer).length;
        if (read >= 1024 * 1024) break;
      }
      assert.equal(first, '{"errors":["');
      await sleep(200);
      const sent = c.hugeErrorBytesSent() - start;
      assert.ok(sent >= read && sent < 64 * 1024 * 1024, `sent ${sent} of ${huge}, read ${read}`);
      await sleep(100);
      assert.equal(c.hugeErrorBytesSent() - start, sent, 'the stream stopped once the client left');
      c.faults.hugeErrorBytes = 100_000;
      c.faults.hugeErrorStatus = 500;
      const whole = await call(`${c.nodes[0]?.url}${SNAP}`, { token: c.rootToken });
      assert.equal(whole.status, 500);
      assert.equal(whole.body.length, 100_000);
      const errors = errorsOf(whole) as string[];
      assert.equal(errors.length, 1);
    } finally {
      c.clearFaults();
    }
  });
});

describe('redirect, leader and error-text faults', () => {
  let c: VaultCluster;
  before(async () => {
    c = await startVaultCluster({ data: { 'secret/a': 'x' } });
  });
  after(() => c.close());

  const leaderOf = async (i: number): Promise<Record<string, unknown>> =>
    JSON.parse((await call(`${c.nodes[i]?.url}/v1/sys/leader`)).text) as Record<string, unknown>;

  test('leaderAddress / leaderClusterAddress override what sys/leader reports on every node', async () => {
    c.faults.leaderAddress = 'http://127.0.0.1:1';
    c.faults.leaderClusterAddress = 'https://[fd00::5]:8201';
    try {
      for (const i of [0, 1]) {
        const l = await leaderOf(i);
        assert.equal(l['leader_address'], 'http://127.0.0.1:1');
        assert.equal(l['leader_cluster_address'], 'https://[fd00::5]:8201');
        assert.equal(l['is_self'], i === 0);
      }
    } finally {
      c.clearFaults();
    }
    assert.equal((await leaderOf(1))['leader_address'], c.nodes[0]?.apiAddr);
  });

  test('redirectLocation is the 307 Location verbatim; forceStandbyAll makes the active node a standby', async () => {
    const elsewhere = 'http://127.0.0.1:9/v1/sys/storage/raft/snapshot';
    c.faults.redirectLocation = elsewhere;
    try {
      const standby = await call(`${c.nodes[1]?.url}${SNAP}?x=1`, { token: c.rootToken });
      assert.equal(standby.status, 307);
      assert.equal(standby.headers['location'], elsewhere);
      assert.equal((await call(`${c.nodes[0]?.url}${SNAP}`, { token: c.rootToken })).status, 200);
      c.faults.forceStandbyAll = true;
      const active = await call(`${c.nodes[0]?.url}${SNAP}`, { token: c.rootToken });
      assert.equal(active.status, 307);
      assert.equal(active.headers['location'], elsewhere);
      const post = await call(`${c.nodes[0]?.url}${SNAP}`, {
        method: 'POST',
        token: c.rootToken,
        body: randomBytes(1000),
      });
      assert.equal(post.status, 307);
      assert.equal((await call(`${c.nodes[0]?.url}/v1/sys/health`)).status, 429);
      assert.equal((await leaderOf(0))['is_self'], false);
    } finally {
      c.clearFaults();
    }
    const back = await call(`${c.nodes[1]?.url}${SNAP}`, { token: c.rootToken });
    assert.equal(back.headers['location'], `${c.nodes[0]?.apiAddr}${SNAP}`);
  });

  test('echoTokenInErrors: 403, 500 and 503 error texts carry the request token', async () => {
    const writer = c.createToken({ 'sys/storage/raft/snapshot': ['update'] });
    c.faults.echoTokenInErrors = true;
    try {
      const denied = await call(`${c.nodes[0]?.url}${SNAP}`, { token: writer });
      assert.equal(denied.status, 403);
      assert.ok(denied.text.includes(writer));
      assert.match(String(errorsOf(denied)), /permission denied/);
      c.faults.snapshotError500 = true;
      const failed = await call(`${c.nodes[0]?.url}${SNAP}`, { token: c.rootToken });
      assert.equal(failed.status, 500);
      assert.ok(failed.text.includes(c.rootToken));
      c.faults.hugeErrorBytes = 2000;
      const huge = await call(`${c.nodes[0]?.url}/v1/sys/health`, { token: c.rootToken });
      assert.ok(huge.text.includes(c.rootToken));
    } finally {
      c.clearFaults();
    }
    const plain = await call(`${c.nodes[0]?.url}${SNAP}`, { token: writer });
    assert.equal(plain.text.includes(writer), false);
    assert.deepEqual(errorsOf(plain), [DENIED]);
  });

  test('startRecordingHost records method, path and every header and answers 200 {}', async () => {
    const host = await startRecordingHost();
    try {
      const r = await request(`${host.url}/v1/sys/storage/raft/snapshot?a=1`, {
        method: 'POST',
        headers: { 'x-custom': 'yes' },
        body: 'abc',
        dispatcher: agent,
      });
      assert.equal(r.statusCode, 200);
      assert.equal(await r.body.text(), '{}');
      const [seen] = host.requests();
      assert.equal(seen?.method, 'POST');
      assert.equal(seen?.path, '/v1/sys/storage/raft/snapshot?a=1');
      assert.equal(seen?.headers['x-custom'], 'yes');
      assert.equal(seen?.headers['x-vault-token'], undefined);
      assert.equal(seen?.bodyBytes, 3);
    } finally {
      await host.close();
    }
  });
});

describe('TLS variants and the hang fault', () => {
  let v: TlsVariants;
  before(() => {
    v = makeTlsVariants();
  });

  test('a certificate from another CA and one for another host both fail verification; the good one passes', async () => {
    const tlsAgent = new Agent({ keepAliveTimeout: 50, keepAliveMaxTimeout: 50, connect: { ca: v.caPem } });
    const good = await startVaultCluster({ nodes: 1, tls: v.good });
    const wrongCa = await startVaultCluster({ nodes: 1, tls: v.wrongCa });
    const mismatch = await startVaultCluster({ nodes: 1, tls: v.hostMismatch });
    const host = await startRecordingHost({ tls: v.good });
    try {
      const health = (url: string | undefined): Promise<Reply> =>
        call(`${url}/v1/sys/health`, { dispatcher: tlsAgent });
      assert.equal((await health(good.nodes[0]?.url)).status, 200);
      const localhost = good.nodes[0]?.url.replace('127.0.0.1', 'localhost');
      assert.equal((await health(localhost)).status, 200);
      const caErr = await health(wrongCa.nodes[0]?.url).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal(codeOf(caErr), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      const hostErr = await health(mismatch.nodes[0]?.url).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal(codeOf(hostErr), 'ERR_TLS_CERT_ALTNAME_INVALID');
      assert.equal((await call(`${host.url}/x`, { dispatcher: tlsAgent })).status, 200);
      assert.equal(wrongCa.requestLog().length + mismatch.requestLog().length, 0);
    } finally {
      await tlsAgent.close();
      await Promise.all([good.close(), wrongCa.close(), mismatch.close(), host.close()]);
    }
  });

  test('hang: TLS completes, the request is never answered (all or listed paths), close() is prompt', async () => {
    const c = await startVaultCluster({ nodes: 1, tls: v.good });
    const tlsAgent = new Agent({ keepAliveTimeout: 50, keepAliveMaxTimeout: 50, connect: { ca: v.caPem } });
    const u = new URL(c.nodes[0]?.url ?? '');
    try {
      c.faults.hang = ['/v1/sys/health'];
      await assert.rejects(
        request(`${u.origin}/v1/sys/health`, { dispatcher: tlsAgent, signal: AbortSignal.timeout(300) }),
      );
      assert.equal((await call(`${u.origin}/v1/sys/seal-status`, { dispatcher: tlsAgent })).status, 200);
      c.faults.hang = true;
      const socket = tlsConnect({ host: u.hostname, port: Number(u.port), ca: v.caPem });
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      let received = 0;
      socket.on('data', (d: Buffer) => (received += d.length));
      socket.on('error', () => undefined);
      socket.write(`GET /v1/sys/seal-status HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
      await sleep(300);
      assert.equal(received, 0);
      const t0 = Date.now();
      await c.close();
      assert.ok(Date.now() - t0 < 1000, `close took ${Date.now() - t0} ms`);
      socket.destroy();
    } finally {
      await tlsAgent.close();
      await c.close();
    }
  });
});

describe('cluster in a child process', () => {
  test('startVaultClusterProcess: backup GET and restore POST through undici, identity over IPC, no process left', async () => {
    const v = makeTlsVariants();
    const tlsAgent = new Agent({ keepAliveTimeout: 50, keepAliveMaxTimeout: 50, connect: { ca: v.caPem } });
    const h = await startVaultClusterProcess({
      tls: v.good,
      data: { 'secret/app/db': 'pw1' },
      padStateBinBytes: 200_000,
    });
    const pid = h.pid;
    try {
      assert.ok(pid > 0 && pid !== process.pid);
      assert.ok(existsSync(`/proc/${pid}/stat`));
      assert.equal(h.nodes.length, 3);
      assert.match(h.activeServiceUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(h.unsealKeys.length, 5);
      assert.equal(h.threshold, 3);
      const token = await h.createToken({ 'sys/storage/raft/snapshot': ['read', 'update'] });
      const backup = await call(`${h.activeServiceUrl}${SNAP}`, { token, dispatcher: tlsAgent });
      assert.equal(backup.status, 200);
      assert.equal(backup.headers['transfer-encoding'], 'chunked');
      assert.ok(parseSnapshotArchive(backup.body).entries.some((e) => e.key.endsWith('/secret/app/db')));
      assert.deepEqual(await h.lastServedArchive(), backup.body);
      const atBackup = await h.data();
      await h.setData('secret/app/db', 'pw2');
      assert.equal((await h.data())['secret/app/db'], 'pw2');
      const restored = await call(`${h.activeServiceUrl}${SNAP}`, {
        method: 'POST',
        token,
        body: backup.body,
        dispatcher: tlsAgent,
      });
      assert.equal(restored.status, 204);
      await h.waitForRestoreApplied();
      assert.deepEqual(await h.data(), atBackup);
      assert.deepEqual((await h.restoreLog()).at(-1), {
        force: false,
        status: 204,
        bytes: backup.body.length,
        node: 0,
      });
      assert.equal((await h.requestLog()).at(-1)?.tokenHeader, 'x-vault-token');
      await h.setFaults({ snapshotError500: true });
      assert.equal((await call(`${h.nodes[0]?.url}${SNAP}`, { token, dispatcher: tlsAgent })).status, 500);
      await h.clearFaults();
      assert.equal(await h.activeIndex(), 0);
      assert.equal(await h.isSealed(), false);
      assert.equal(await h.hugeErrorBytesSent(), 0);
    } finally {
      await tlsAgent.close();
      await h.close();
    }
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  });
});
