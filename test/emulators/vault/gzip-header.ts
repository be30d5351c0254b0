// Makes Node's gzip header byte-identical to Go's compress/gzip (XFL by level, OS = 255 "unknown").

// Patches bytes 8-9 of a gzip member header in place; the header has no CRC, so this is safe.
export function patchGzipHeader(buf: Buffer, level: number): Buffer {
  if (buf.length >= 10 && buf[0] === 0x1f && buf[1] === 0x8b) {
    buf[8] = level === 9 ? 2 : level === 1 ? 4 : 0;
    buf[9] = 0xff;
  }
  return buf;
}

// zlib's default level, which Go's gzip.DefaultCompression also maps to.
export const DEFAULT_GZIP_LEVEL = 6;
