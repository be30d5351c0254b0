// Minimal USTAR writer and header parser matching Go's archive/tar output for the snapshot archive:
// mode 0600, uid/gid 0, empty uname/gname, typeflag '0', one shared mtime, two zero blocks at the end.

export const BLOCK = 512;

// The end-of-archive marker: two zero blocks.
export const TAR_END = Buffer.alloc(BLOCK * 2);

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

// One USTAR header block for a regular file (sizes up to 8 GiB, Go's USTAR limit).
export function tarHeader(name: string, size: number, mtimeSec: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o600, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtimeSec, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(octal(0, 8), 329, 'ascii');
  h.write(octal(0, 8), 337, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

// Zero bytes that pad a member's data to a whole block.
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

export interface TarHeaderInfo {
  name: string;
  size: number;
  typeflag: string;
}

function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.subarray(0, nul < 0 ? buf.length : nul).toString('utf8');
}

function parseNumeric(field: Buffer): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    let v = first & 0x7f;
    for (const b of field.subarray(1)) v = v * 256 + b;
    return v;
  }
  const text = cString(field).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error('archive/tar: invalid tar header');
  return parseInt(text, 8);
}

// Parses a non-zero header block; throws Go's "archive/tar: invalid tar header" on a bad checksum.
export function parseTarHeader(block: Buffer): TarHeaderInfo {
  const stored = parseNumeric(block.subarray(148, 156));
  let unsigned = 0;
  for (let i = 0; i < BLOCK; i++) unsigned += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  if (stored !== unsigned) throw new Error('archive/tar: invalid tar header');
  const magic = block.subarray(257, 263).toString('latin1');
  let name = cString(block.subarray(0, 100));
  const prefix = magic.startsWith('ustar') ? cString(block.subarray(345, 500)) : '';
  if (prefix !== '') name = `${prefix}/${name}`;
  const flag = block[156] ?? 0;
  return {
    name,
    size: parseNumeric(block.subarray(124, 136)),
    typeflag: flag === 0 ? '0' : String.fromCharCode(flag),
  };
}
