// multipart/related bodies, as the Storage SDK sends a simple (non-resumable) upload: a JSON
// metadata part, then the media part.
export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

export function boundaryOf(contentType: string): string | undefined {
  const m = /^multipart\/related\s*;.*?\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

// Returns undefined when the body is not well-formed (missing closing delimiter, part without headers).
export function parseMultipart(body: Buffer, boundary: string): Part[] | undefined {
  const text = Buffer.concat([Buffer.from('\r\n'), body]);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const parts: Part[] = [];
  let at = text.indexOf(delimiter);
  if (at < 0) return undefined;
  for (;;) {
    const after = at + delimiter.length;
    if (text.subarray(after, after + 2).toString() === '--') return parts;
    const lineEnd = text.indexOf('\r\n', after);
    if (lineEnd < 0) return undefined;
    const next = text.indexOf(delimiter, lineEnd);
    if (next < 0) return undefined;
    const raw = text.subarray(lineEnd + 2, next);
    const split = raw.indexOf('\r\n\r\n');
    if (split < 0) return undefined;
    const headers: Record<string, string> = {};
    for (const line of raw.subarray(0, split).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: Buffer.from(raw.subarray(split + 4)) });
    at = next;
  }
}
