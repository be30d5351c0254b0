// Writes restic lock files with chosen contents straight into a local repository, for testing our
// lock-removal policy: a real restic always stamps its own hostname, pid and the current time.
//
// The format follows restic's design doc and source (internal/crypto, internal/repository/key.go,
// internal/restic/lock.go), checked against real restic 0.14 and 0.18 by
// test/integration/restic-lock.test.ts:
// - keys/<id> is plain JSON; scrypt(password, salt, N, r, p) gives 64 bytes = AES-256 key || MAC key k
//   (AES-128) || MAC key r (Poly1305, clamped as Poly1305 always clamps it). Its `data` decrypts with that
//   user key to the master key JSON {"mac":{"k","r"},"encrypt"} (base64 fields).
// - Every other file is IV(16) || AES-256-CTR(plaintext) || Poly1305-AES MAC(16) of the ciphertext, with
//   the IV as nonce and s = AES-128_k(IV). Its name is the hex SHA-256 of those stored bytes.
// - In repository format v2 the plaintext of an unpacked file (lock, snapshot, index; not config) is
//   0x02 || zstd(JSON), and a plaintext starting with '{' or '[' is read as plain JSON.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';

export interface ForgedLock {
  time: Date;
  exclusive: boolean;
  hostname: string;
  // With this host's hostname, restic (unlock, and taking a lock) probes the pid with a real SIGHUP,
  // not signal 0: never the test runner's own pid, use a process that ignores SIGHUP or a dead one.
  pid: number;
  // Defaults: this process's user name, uid and gid, as restic fills them in.
  username?: string;
  uid?: number;
  gid?: number;
}

export interface ForgeOptions {
  // 'restic' (default) encodes as restic itself does for the repository's format (v2: 0x02 || zstd,
  // v1: plain JSON); 'plain' stores plain JSON, which restic also reads in v2.
  encoding?: 'restic' | 'plain';
}

interface MasterKey {
  encrypt: Buffer;
  macK: Buffer;
  macR: Buffer;
}

interface Repo {
  key: MasterKey;
  version: number;
}

const P1305 = (1n << 130n) - 5n;
const CLAMP_R = 0x0ffffffc0ffffffc0ffffffc0fffffffn;
const MASK_128 = (1n << 128n) - 1n;

function le2big(b: Uint8Array): bigint {
  const hex = Buffer.from(b).reverse().toString('hex');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

// Poly1305 (RFC 8439 §2.5) over msg with a 32-byte one-time key r || s; Node has no raw Poly1305.
export function poly1305(key: Uint8Array, msg: Uint8Array): Buffer {
  if (key.length !== 32) throw new Error('poly1305 key must be 32 bytes');
  const r = le2big(key.subarray(0, 16)) & CLAMP_R;
  const s = le2big(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const block = msg.subarray(i, i + 16);
    // Each block gets a 1 bit appended above its top byte, so short last blocks stay distinct.
    acc = ((acc + le2big(block) + (1n << BigInt(8 * block.length))) * r) % P1305;
  }
  const tag = (acc + s) & MASK_128;
  return Buffer.from(tag.toString(16).padStart(32, '0'), 'hex').reverse();
}

function aes128Block(k: Buffer, block: Buffer): Buffer {
  const c = createCipheriv('aes-128-ecb', k, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

// Poly1305-AES as restic uses it: r from the key, s = AES-128_k(nonce).
function mac(key: MasterKey, nonce: Buffer, ciphertext: Buffer): Buffer {
  return poly1305(Buffer.concat([key.macR, aes128Block(key.macK, nonce)]), ciphertext);
}

function seal(key: MasterKey, plaintext: Buffer): Buffer {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-ctr', key.encrypt, iv);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, ct, mac(key, iv, ct)]);
}

// Returns undefined when the MAC does not verify (wrong key), like restic's ErrUnauthenticated.
function open(key: MasterKey, stored: Buffer): Buffer | undefined {
  if (stored.length < 32) throw new Error('ciphertext too short');
  const iv = stored.subarray(0, 16);
  const ct = stored.subarray(16, stored.length - 16);
  if (!timingSafeEqual(mac(key, iv, ct), stored.subarray(stored.length - 16))) return undefined;
  const d = createDecipheriv('aes-256-ctr', key.encrypt, iv);
  return Buffer.concat([d.update(ct), d.final()]);
}

function deriveUserKey(password: string, salt: Buffer, N: number, r: number, p: number): Promise<MasterKey> {
  return new Promise((ok, fail) => {
    // OpenSSL needs room for V (128·r·(N+2)) and B (128·r·p); Node's default cap is 32 MiB.
    const maxmem = 128 * r * (N + p + 2) + (1 << 20);
    scrypt(password, salt, 64, { N, r, p, maxmem }, (err, out) => {
      if (err) fail(err);
      else ok({ encrypt: out.subarray(0, 32), macK: out.subarray(32, 48), macR: out.subarray(48, 64) });
    });
  });
}

interface KeyFile {
  kdf: string;
  N: number;
  r: number;
  p: number;
  salt: string;
  data: string;
}

async function openMasterKey(repoDir: string, password: string): Promise<MasterKey> {
  // Like restic's SearchKey: try every key file, skip those the password does not open.
  for (const name of (await readdir(join(repoDir, 'keys'))).sort()) {
    const kf = JSON.parse(await readFile(join(repoDir, 'keys', name), 'utf8')) as KeyFile;
    if (kf.kdf !== 'scrypt') continue;
    const user = await deriveUserKey(password, Buffer.from(kf.salt, 'base64'), kf.N, kf.r, kf.p);
    const plain = open(user, Buffer.from(kf.data, 'base64'));
    if (plain === undefined) continue;
    const mk = JSON.parse(plain.toString('utf8')) as { mac: { k: string; r: string }; encrypt: string };
    return {
      encrypt: Buffer.from(mk.encrypt, 'base64'),
      macK: Buffer.from(mk.mac.k, 'base64'),
      macR: Buffer.from(mk.mac.r, 'base64'),
    };
  }
  throw new Error(`wrong password or no key found in ${repoDir}`);
}

// scrypt with restic's calibrated parameters takes about half a second: derive once per repository
// directory and password (a repository re-created at the same path would need a fresh process).
const repos = new Map<string, Promise<Repo>>();

function openRepo(repoDir: string, password: string): Promise<Repo> {
  const cacheKey = `${resolve(repoDir)}\0${password}`;
  let repo = repos.get(cacheKey);
  if (repo === undefined) {
    repo = (async () => {
      const key = await openMasterKey(repoDir, password);
      const config = open(key, await readFile(join(repoDir, 'config')));
      if (config === undefined) throw new Error(`config of ${repoDir} does not verify with its key`);
      const { version } = JSON.parse(config.toString('utf8')) as { version: number };
      return { key, version };
    })();
    repo.catch(() => repos.delete(cacheKey));
    repos.set(cacheKey, repo);
  }
  return repo;
}

// Go's RFC3339Nano for time.Time in the local zone: fraction without trailing zeros, "Z" at offset 0.
export function goTime(t: Date): string {
  const offMin = -t.getTimezoneOffset();
  const iso = new Date(t.getTime() + offMin * 60_000).toISOString(); // local wall clock, spelt as UTC
  const fraction = iso.slice(19, 23).replace(/\.?0+$/, '');
  const abs = Math.abs(offMin);
  const zone =
    offMin === 0
      ? 'Z'
      : `${offMin < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${iso.slice(0, 19)}${fraction}${zone}`;
}

// The lock's JSON as restic's json.Marshal writes it: field order of the Go struct, uid/gid omitempty.
export function lockJson(lock: ForgedLock): string {
  const user = userInfo();
  const uid = lock.uid ?? process.getuid?.() ?? 0;
  const gid = lock.gid ?? process.getgid?.() ?? 0;
  return JSON.stringify({
    time: goTime(lock.time),
    exclusive: lock.exclusive,
    hostname: lock.hostname,
    username: lock.username ?? user.username,
    pid: lock.pid,
    ...(uid !== 0 ? { uid } : {}),
    ...(gid !== 0 ? { gid } : {}),
  });
}

// Writes the lock into locks/ of the local repository and returns its id (the file name).
export async function forgeLock(
  repoDir: string,
  password: string,
  lock: ForgedLock,
  options: ForgeOptions = {},
): Promise<string> {
  const { key, version } = await openRepo(repoDir, password);
  const json = Buffer.from(lockJson(lock), 'utf8');
  const compress = version >= 2 && (options.encoding ?? 'restic') === 'restic';
  const plaintext = compress ? Buffer.concat([Buffer.from([2]), zstdCompressSync(json)]) : json;
  const stored = seal(key, plaintext);
  const id = createHash('sha256').update(stored).digest('hex');
  // Written aside and renamed in, so a restic listing locks never reads a half-written file; the
  // temp name sits in the repository root, where restic lists nothing. Read-only, as restic leaves it.
  const tmp = join(repoDir, `.forge-lock-${randomBytes(8).toString('hex')}.tmp`);
  await writeFile(tmp, stored, { mode: 0o400, flag: 'wx' });
  await rename(tmp, join(repoDir, 'locks', id));
  return id;
}

export interface RepoFile {
  // The decrypted plaintext as stored: 0x02 || zstd(JSON) or plain JSON.
  plaintext: Buffer;
  json: unknown;
}

// Reads, verifies and decrypts an unpacked file (config, locks/…, snapshots/…, index/…) of a local
// repository; `file` is relative to repoDir, e.g. `locks/<id>`. For test assertions.
export async function readRepoFile(repoDir: string, password: string, file: string): Promise<RepoFile> {
  const { key, version } = await openRepo(repoDir, password);
  const stored = await readFile(join(repoDir, file));
  const isConfig = file === 'config';
  // Like restic's LoadRaw: a file whose name is not the hash of its bytes is invalid data.
  if (!isConfig && createHash('sha256').update(stored).digest('hex') !== basename(file))
    throw new Error(`${file}: content does not match its name`);
  const plaintext = open(key, stored);
  if (plaintext === undefined) throw new Error(`${file}: ciphertext verification failed`);
  let json = plaintext;
  // The config is never compressed; other files only from format v2 on.
  if (!isConfig && version >= 2 && plaintext[0] !== 0x7b && plaintext[0] !== 0x5b) {
    if (plaintext[0] !== 2) throw new Error(`${file}: unsupported encoding version ${String(plaintext[0])}`);
    json = zstdDecompressSync(plaintext.subarray(1));
  }
  return { plaintext, json: JSON.parse(json.toString('utf8')) };
}

// The JSON content of such a file.
export async function readRepoJson(repoDir: string, password: string, file: string): Promise<unknown> {
  return (await readRepoFile(repoDir, password, file)).json;
}
