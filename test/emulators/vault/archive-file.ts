// Streams a big, realistic snapshot archive to disk (benchmarks): random filler records are generated on the
// fly until state.bin reaches about `targetBytes`, so memory stays flat even for multi-GiB archives.
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { member, metaJson, plainSums } from './archive-build.ts';
import { DEFAULT_GZIP_LEVEL, patchGzipHeader } from './gzip-header.ts';
import { sealSums } from './seal.ts';
import { compareKeys, encodeRecord, encodeUvarint, recordLength } from './state-bin.ts';
import { encodeSums } from './sums.ts';
import { TAR_END, tarHeader, tarPadding } from './tar.ts';
import type { ArchiveInput, StorageEntry } from './types.ts';

const FILLER_BYTES = 1024 * 1024;

interface Planned {
  key: string;
  value?: Buffer;
  fillerBytes: number;
}

function plan(entries: StorageEntry[], targetBytes: number): { items: Planned[]; size: number } {
  const items: Planned[] = entries.map((e) => ({ key: e.key, value: e.value, fillerBytes: 0 }));
  let size = entries.reduce((n, e) => n + recordLength(Buffer.byteLength(e.key), e.value.length), 0);
  for (let i = 0; size < targetBytes; i++) {
    const key = `emu/filler/${String(i).padStart(8, '0')}`;
    items.push({ key, fillerBytes: FILLER_BYTES });
    size += recordLength(Buffer.byteLength(key), FILLER_BYTES);
  }
  items.sort((a, b) => compareKeys(a.key, b.key));
  return { items, size };
}

function fillerRecord(key: string, bytes: number): Buffer[] {
  const k = Buffer.from(key, 'utf8');
  const value = randomFillSync(Buffer.allocUnsafe(bytes));
  const head = Buffer.concat([
    Buffer.from([0x0a]),
    encodeUvarint(k.length),
    k,
    Buffer.from([0x12]),
    encodeUvarint(bytes),
  ]);
  return [encodeUvarint(head.length + bytes), head, value];
}

async function* tarStream(input: ArchiveInput, targetBytes: number): AsyncGenerator<Buffer> {
  const mtime = input.mtimeSec ?? Math.floor(Date.now() / 1000);
  const { items, size } = plan(input.entries, targetBytes);
  const meta = metaJson(input, size);
  yield* member('meta.json', meta, mtime);
  yield tarHeader('state.bin', size, mtime);
  const stateHash = createHash('sha256');
  for (const it of items) {
    const parts =
      it.value !== undefined
        ? [encodeRecord({ key: it.key, value: it.value })]
        : fillerRecord(it.key, it.fillerBytes);
    for (const p of parts) {
      stateHash.update(p);
      yield p;
    }
  }
  yield tarPadding(size);
  const hashes = {
    'meta.json': createHash('sha256').update(meta).digest('hex'),
    'state.bin': stateHash.digest('hex'),
  };
  yield* member('SHA256SUMS', plainSums(hashes, input.corruptSums === true), mtime);
  if (input.omitSealed !== true)
    yield* member('SHA256SUMS.sealed', sealSums(input.sealKey, encodeSums(hashes)), mtime);
  yield TAR_END;
}

// Writes the archive to `path` through gzip (input.compressionLevel, default 6) with Go's gzip header bytes.
export async function writeSnapshotArchiveFile(
  path: string,
  input: ArchiveInput & { targetBytes: number },
): Promise<void> {
  const level = input.compressionLevel ?? DEFAULT_GZIP_LEVEL;
  let first = true;
  await pipeline(
    Readable.from(tarStream(input, input.targetBytes)),
    createGzip({ level, chunkSize: 256 * 1024 }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        yield first ? patchGzipHeader(chunk, level) : chunk;
        first = false;
      }
    },
    createWriteStream(path, { mode: 0o600 }),
  );
}
