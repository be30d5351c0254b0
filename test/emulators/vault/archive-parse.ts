// Independent, synchronous verifier for whole archives (tests, restore double-checks): same member rules and
// messages as the restore path, plus a strict gzip end (like `vault operator raft snapshot inspect`).
import { constants, gunzipSync } from 'node:zlib';
import { ArchiveMembers, readFailure } from './archive-members.ts';
import { flateCause } from './archive-reader.ts';
import { verifyArchive } from './archive-verify.ts';
import { TarStream } from './tar-stream.ts';
import type { ParsedArchive } from './types.ts';

function inflate(buf: Buffer): { data: Buffer; cause: string | undefined } {
  try {
    return { data: gunzipSync(buf), cause: undefined };
  } catch (err) {
    const e = err as Error & { code?: string };
    let data: Buffer = Buffer.alloc(0);
    try {
      data = gunzipSync(buf, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      // corrupt before any usable output
    }
    return { data, cause: flateCause(e, buf.length) };
  }
}

// Parses and verifies plain SHA256SUMS (no seal key needed); throws Error with Vault's message strings.
export function parseSnapshotArchive(buf: Buffer): ParsedArchive {
  if (buf.length === 0) throw new Error('failed to decompress snapshot: EOF');
  if (buf[0] !== 0x1f || buf[1] !== 0x8b)
    throw new Error('failed to decompress snapshot: gzip: invalid header');
  if (buf.length < 10) throw new Error('failed to decompress snapshot: unexpected EOF');
  const { data, cause } = inflate(buf);
  const members = new ArchiveMembers(Number.MAX_SAFE_INTEGER);
  const tar = new TarStream(members);
  try {
    tar.push(data);
  } catch (err) {
    throw new Error(`failed to read snapshot file: ${(err as Error).message}`, { cause: err });
  }
  if (!tar.ended && (cause !== undefined || !tar.atBoundary))
    throw readFailure(tar, cause ?? 'unexpected EOF');
  if (cause !== undefined) throw new Error(`failed to decompress snapshot: ${cause}`);
  const c = members.contents();
  verifyArchive(c, undefined);
  if (c.meta === undefined) throw new Error('failed to read snapshot file: snapshot has no meta.json');
  if (c.state.invalid !== undefined) throw new Error(`failed to decode state.bin: ${c.state.invalid}`);
  if (c.meta['Size'] !== c.stateBytes) {
    throw new Error(
      `failed to write snapshot, size didn't match (${c.stateBytes} != ${String(c.meta['Size'])})`,
    );
  }
  return { meta: c.meta, entries: c.state.entries, sums: c.sums.toString('utf8'), sealed: c.sealed };
}
