// Builds a real Vault/OpenBao raft snapshot archive in memory: gzip(tar[meta.json, state.bin, SHA256SUMS,
// SHA256SUMS.sealed]) exactly as raft-snapshot's write() lays it out (vault-snapshot-api.md §3).
import { gzipSync } from 'node:zlib';
import { DEFAULT_GZIP_LEVEL, patchGzipHeader } from './gzip-header.ts';
import { sealSums } from './seal.ts';
import { encodeStateBin } from './state-bin.ts';
import { encodeSums, sha256Hex } from './sums.ts';
import { TAR_END, tarHeader, tarPadding } from './tar.ts';
import type { ArchiveInput } from './types.ts';

// meta.json bytes: Go's json.Encoder output of raft.SnapshotMeta, trailing newline included.
export function metaJson(input: Omit<ArchiveInput, 'entries' | 'sealKey'>, size: number): Buffer {
  const meta = {
    Version: 1,
    ID: 'bolt-snapshot',
    Index: input.index,
    Term: input.term,
    Peers: null,
    Configuration: { Servers: input.servers.map((s) => ({ Suffrage: 0, ID: s.id, Address: s.address })) },
    ConfigurationIndex: input.configurationIndex ?? 1,
    Size: size,
  };
  return Buffer.from(`${JSON.stringify(meta)}\n`, 'utf8');
}

// The plain SHA256SUMS member, with the state.bin hash altered when `corrupt` is set (fault injection).
export function plainSums(hashes: Record<string, string>, corrupt: boolean): Buffer {
  if (!corrupt) return encodeSums(hashes);
  const bad = (hashes['state.bin'] ?? '').replace(/^./, (c) => (c === '0' ? '1' : '0'));
  return encodeSums({ ...hashes, 'state.bin': bad });
}

// Tar members for the small part of an archive (everything except a streamed state.bin body).
export function member(name: string, body: Buffer, mtimeSec: number): Buffer[] {
  return [tarHeader(name, body.length, mtimeSec), body, tarPadding(body.length)];
}

// Builds the whole archive in memory; used by the emulator's GET handler and by tests.
export function buildSnapshotArchive(input: ArchiveInput): Buffer {
  const mtime = input.mtimeSec ?? Math.floor(Date.now() / 1000);
  const state = encodeStateBin(input.entries);
  const meta = metaJson(input, state.length);
  const hashes = { 'meta.json': sha256Hex(meta), 'state.bin': sha256Hex(state) };
  const parts = [
    ...member('meta.json', meta, mtime),
    ...member('state.bin', state, mtime),
    ...member('SHA256SUMS', plainSums(hashes, input.corruptSums === true), mtime),
  ];
  if (input.omitSealed !== true)
    parts.push(...member('SHA256SUMS.sealed', sealSums(input.sealKey, encodeSums(hashes)), mtime));
  parts.push(TAR_END);
  const level = input.compressionLevel ?? DEFAULT_GZIP_LEVEL;
  return patchGzipHeader(gzipSync(Buffer.concat(parts), { level }), level);
}
