// The benchmarks' input: a realistic gzipped Raft snapshot archive of about `size` bytes.
import { randomBytes } from 'node:crypto';
import { writeSnapshotArchiveFile } from '../emulators/vault/index.ts';
import { parseSize } from './measure.ts';

export async function writeBenchArchive(path: string, size: string): Promise<void> {
  await writeSnapshotArchiveFile(path, {
    entries: [{ key: 'logical/0001/secret/app', value: Buffer.from('v') }],
    index: 100,
    term: 2,
    servers: [{ id: 'node0', address: '127.0.0.1:8201' }],
    sealKey: randomBytes(32),
    compressionLevel: 1,
    targetBytes: parseSize(size),
  });
}
