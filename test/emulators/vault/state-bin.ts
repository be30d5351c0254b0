// state.bin codec: uvarint(len) || protobuf StorageEntry{string key = 1; bytes value = 2; bool seal_wrap = 3},
// records sorted by key bytes (vault-snapshot-api.md §3, OpenBao internal/physical/raft/varint.go + fsm.go).
import type { StorageEntry } from './types.ts';

// Encodes a non-negative integer (< 2^53) as a protobuf/Go uvarint.
export function encodeUvarint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

// Reads a uvarint at `pos`; returns undefined when the buffer ends inside it.
export function decodeUvarint(buf: Buffer, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const b = buf[i] ?? 0;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, next: i + 1 };
    scale *= 0x80;
  }
  if (buf.length - pos >= 10) throw new Error('varint overflows a 64-bit integer');
  return undefined;
}

// One length-delimited record of state.bin; proto3 omits empty fields like Go's proto.Marshal.
export function encodeRecord(entry: StorageEntry): Buffer {
  const key = Buffer.from(entry.key, 'utf8');
  const parts: Buffer[] = [];
  if (key.length > 0) parts.push(Buffer.from([0x0a]), encodeUvarint(key.length), key);
  if (entry.value.length > 0) parts.push(Buffer.from([0x12]), encodeUvarint(entry.value.length), entry.value);
  const body = Buffer.concat(parts);
  return Buffer.concat([encodeUvarint(body.length), body]);
}

// Length of encodeRecord() output without building it (lets big archives compute meta.json Size up front).
export function recordLength(keyBytes: number, valueBytes: number): number {
  let body = 0;
  if (keyBytes > 0) body += 1 + encodeUvarint(keyBytes).length + keyBytes;
  if (valueBytes > 0) body += 1 + encodeUvarint(valueBytes).length + valueBytes;
  return encodeUvarint(body).length + body;
}

// Byte-wise key order, as bolt iterates its data bucket.
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// Whole state.bin for a small entry set.
export function encodeStateBin(entries: StorageEntry[]): Buffer {
  const sorted = [...entries].sort((x, y) => compareKeys(x.key, y.key));
  return Buffer.concat(sorted.map(encodeRecord));
}

// Decodes one protobuf StorageEntry message, skipping unknown fields.
export function decodeStorageEntry(msg: Buffer): StorageEntry {
  let key = '';
  let value: Buffer = Buffer.alloc(0);
  let pos = 0;
  while (pos < msg.length) {
    const tag = decodeUvarint(msg, pos);
    if (tag === undefined) throw new Error('proto: truncated tag');
    pos = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (wire === 0) {
      const v = decodeUvarint(msg, pos);
      if (v === undefined) throw new Error('proto: truncated varint');
      pos = v.next;
    } else if (wire === 2) {
      const len = decodeUvarint(msg, pos);
      if (len === undefined || len.next + len.value > msg.length) throw new Error('proto: truncated field');
      const bytes = msg.subarray(len.next, len.next + len.value);
      if (field === 1) key = bytes.toString('utf8');
      if (field === 2) value = Buffer.from(bytes);
      pos = len.next + len.value;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
    } else {
      throw new Error(`proto: illegal wire type ${wire}`);
    }
  }
  if (pos !== msg.length) throw new Error('proto: truncated message');
  return { key, value };
}

// Whole-buffer decoder used by parseSnapshotArchive.
export function decodeStateBin(buf: Buffer): StorageEntry[] {
  const out: StorageEntry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const len = decodeUvarint(buf, pos);
    if (len === undefined || len.next + len.value > buf.length)
      throw new Error('state.bin: truncated record');
    out.push(decodeStorageEntry(buf.subarray(len.next, len.next + len.value)));
    pos = len.next + len.value;
  }
  return out;
}
