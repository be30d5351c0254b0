// Go's base64.StdEncoding.Decode, which the apiserver's JSON decoder runs on every []byte field
// (Secret data): same accepted input (padding required, CR/LF skipped) and the same byte offset in
// "illegal base64 data at input byte N".
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Map([...ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const PAD = 0x3d;

function isNewline(b: number | undefined): boolean {
  return b === 0x0a || b === 0x0d;
}

function skipNewlines(src: Buffer, from: number): number {
  let si = from;
  while (si < src.length && isNewline(src[si])) si++;
  return si;
}

// One 4-character quantum from `si`: next position and bytes, or the CorruptInputError offset.
function quantum(src: Buffer, start: number, out: number[]): { si: number; error?: number } {
  let si = start;
  const buf = [0, 0, 0, 0];
  let len = 4;
  for (let j = 0; j < 4; j++) {
    if (si === src.length) {
      if (j === 0) return { si };
      return { si, error: si - j };
    }
    const c = src[si] ?? 0;
    si++;
    const v = DECODE.get(c);
    if (v !== undefined) {
      buf[j] = v;
      continue;
    }
    if (isNewline(c)) {
      j--;
      continue;
    }
    if (c !== PAD || j < 2) return { si, error: si - 1 };
    if (j === 2) {
      si = skipNewlines(src, si);
      if (si === src.length) return { si, error: src.length };
      if (src[si] !== PAD) return { si, error: si - 1 };
      si++;
    }
    si = skipNewlines(src, si);
    if (si < src.length) return { si, error: si };
    len = j;
    break;
  }
  const val = ((buf[0] ?? 0) << 18) | ((buf[1] ?? 0) << 12) | ((buf[2] ?? 0) << 6) | (buf[3] ?? 0);
  out.push(...[(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff].slice(0, len - 1));
  return { si };
}

// The decoded bytes of `text` (its UTF-8 bytes, as Go sees the JSON string), or the offset Go reports.
export function goBase64Decode(text: string): Buffer | number {
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  let si = 0;
  while (si < src.length) {
    const r = quantum(src, si, out);
    if (r.error !== undefined) return r.error;
    if (r.si === si) break;
    si = r.si;
  }
  return Buffer.from(out);
}
