// SHA256SUMS text (`%x  %s\n`, random line order like Go map iteration) and raft-snapshot's DecodeAndVerify.
import { createHash, randomInt } from 'node:crypto';

// Hex SHA-256 of a buffer.
export function sha256Hex(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

// Encodes the hash list in a random order, as hashList.Encode does.
export function encodeSums(hashes: Record<string, string>): Buffer {
  const lines = Object.entries(hashes).map(([file, hex]) => `${hex}  ${file}\n`);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
  }
  return Buffer.from(lines.join(''), 'utf8');
}

// Checks sums text against computed hashes; throws raft-snapshot's messages ("hash check failed for ...").
export function verifySums(text: Buffer, computed: Record<string, string>): void {
  const seen = new Set<string>();
  const lines = text.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    const m = /^\s*([0-9a-fA-F]+)\s+(\S+)/.exec(line);
    if (m === null) throw new Error(line.trim() === '' ? 'unexpected EOF' : 'input does not match format');
    const hex = (m[1] ?? '').toLowerCase();
    const file = m[2] ?? '';
    const want = computed[file];
    if (want === undefined) throw new Error(`list missing hash for ${JSON.stringify(file)}`);
    if (hex !== want) throw new Error(`hash check failed for ${JSON.stringify(file)}`);
    seen.add(file);
  }
  for (const file of Object.keys(computed)) {
    if (!seen.has(file)) throw new Error(`file missing for ${JSON.stringify(file)}`);
  }
}
