// The regular files of a small tar archive (restic dump of the key snapshot's tree) by name, as bytes.
// USTAR names with their prefix, PAX `path` records (Go's archive/tar writes them for long names), GNU
// long names and base-256 sizes are read; directories and other entry types are skipped.
import { TaskError } from '../errors.ts';
import { cString, tarSize } from '../stream/tar-fields.ts';

const BLOCK = 512;

export function readTarFiles(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let off = 0;
  // A long name from the entry before: PAX `path` (Go's archive/tar) or GNU ././@LongLink.
  let longName: string | undefined;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = sizeOf(h.subarray(124, 136));
    const type = String.fromCharCode(h[156] ?? 0x30);
    const prefix = cString(h.subarray(345, 500));
    const name = longName ?? (prefix !== '' ? `${prefix}/` : '') + cString(h.subarray(0, 100));
    const start = off + BLOCK;
    const end = start + size;
    if (end > tar.length) throw new TaskError('keys', 'the key snapshot dump is truncated');
    const body = tar.subarray(start, end);
    longName = undefined;
    if (type === 'x') longName = paxRecord(body, 'path');
    else if (type === 'L') longName = cString(body);
    else if (type === '0' || type === '\0') files.set(name.replace(/^\/+/, ''), Buffer.from(body));
    off = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

function sizeOf(field: Buffer): number {
  const size = tarSize(field);
  if (size === undefined) throw new TaskError('keys', 'the key snapshot dump has a bad tar size field');
  return size;
}

// PAX records: "<length> <key>=<value>\n" each.
function paxRecord(body: Buffer, key: string): string | undefined {
  let off = 0;
  while (off < body.length) {
    const space = body.indexOf(0x20, off);
    if (space === -1) return undefined;
    const length = Number(body.subarray(off, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0) return undefined;
    const record = body.subarray(space + 1, off + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === key) return record.slice(eq + 1);
    off += length;
  }
  return undefined;
}
