// USTAR header fields, shared by the streaming snapshot reader and the key snapshot's tar.

// A NUL-terminated header string.
export function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString('utf8');
}

// The size field: octal text, or GNU base-256 (high bit set) for members of 8 GiB and more; undefined
// when it is neither.
export function tarSize(field: Buffer): number | undefined {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = cString(field).trim();
  if (!/^[0-7]*$/.test(text)) return undefined;
  return text === '' ? 0 : parseInt(text, 8);
}
