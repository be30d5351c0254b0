// Verifies a Vault/OpenBao Raft snapshot archive while it streams (vault-snapshot-api §1, §3): gzip
// complete, tar complete, only the four known members, SHA256SUMS matching meta.json and state.bin, and a
// non-empty SHA256SUMS.sealed. A clean HTTP end proves nothing; only this does.
import { createHash, type Hash } from 'node:crypto';
import { SourceError } from '../errors.ts';
import { GunzipSync } from './gunzip-sync.ts';
import { TarReader } from './tar-reader.ts';

const SMALL_LIMIT = 8192;
const ALLOWED = new Set(['meta.json', 'state.bin', 'SHA256SUMS', 'SHA256SUMS.sealed']);

export interface ArchiveFacts {
  archiveBytes: number;
  stateBytes: number;
  index: number | undefined;
  term: number | undefined;
}

interface Member {
  hash: Hash;
  size: number;
  small: Buffer[];
  smallBytes: number;
}

export class ArchiveVerifier {
  private readonly gunzip = new GunzipSync();
  private readonly tar: TarReader;
  private readonly members = new Map<string, { sha256: string; size: number; content: Buffer | undefined }>();
  private current: { name: string; m: Member } | undefined;
  private failure: Error | undefined;
  private archiveBytes = 0;

  constructor() {
    this.tar = new TarReader({
      begin: (name, size) => this.begin(name, size),
      data: (chunk) => this.data(chunk),
      end: () => this.end(),
    });
  }

  // Checks archive bytes as they come; throws (now or at a later call) on corruption. Synchronous: the
  // caller runs it beside restic's ingest, a batch at a time.
  write(chunk: Buffer): void {
    this.archiveBytes += chunk.length;
    this.throwIfFailed();
    this.feed((sink) => this.gunzip.write(chunk, sink));
    this.throwIfFailed();
  }

  // Runs one gunzip step; its output goes straight to the tar reader (the buffer is reused after).
  private feed(step: (sink: (out: Buffer) => void) => void): void {
    let tarFailure: Error | undefined;
    const sink = (out: Buffer): void => {
      if (tarFailure !== undefined) return;
      try {
        this.tar.push(out);
      } catch (err) {
        tarFailure = err instanceof Error ? err : new Error(String(err));
      }
    };
    try {
      step(sink);
    } catch (err) {
      this.failure ??= new SourceError(
        `snapshot archive is not a complete gzip stream (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    if (tarFailure !== undefined) this.failure ??= tarFailure;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  // Call after the last byte: throws SourceError unless the archive is complete and consistent.
  finish(): ArchiveFacts {
    if (this.failure === undefined) this.feed((sink) => this.gunzip.end(sink));
    if (this.failure !== undefined) throw this.failure;
    if (this.archiveBytes === 0) throw new SourceError('snapshot stream was empty');
    if (!this.tar.complete)
      throw new SourceError('snapshot archive is truncated: the tar stream did not end');
    return this.verifySums();
  }

  private begin(name: string, size: number): void {
    if (!ALLOWED.has(name)) throw new SourceError(`unexpected file "${name}" in snapshot`);
    if (this.members.has(name)) throw new SourceError(`duplicate file "${name}" in snapshot`);
    if (name !== 'state.bin' && size > SMALL_LIMIT) {
      throw new SourceError(`snapshot member ${name} is larger than ${SMALL_LIMIT} bytes`);
    }
    this.current = { name, m: { hash: createHash('sha256'), size: 0, small: [], smallBytes: 0 } };
  }

  private data(chunk: Buffer): void {
    const cur = this.current;
    if (cur === undefined) return;
    cur.m.hash.update(chunk);
    cur.m.size += chunk.length;
    if (cur.name !== 'state.bin') cur.m.small.push(Buffer.from(chunk));
  }

  private end(): void {
    const cur = this.current;
    if (cur === undefined) return;
    this.members.set(cur.name, {
      sha256: cur.m.hash.digest('hex'),
      size: cur.m.size,
      content: cur.name === 'state.bin' ? undefined : Buffer.concat(cur.m.small),
    });
    this.current = undefined;
  }

  private verifySums(): ArchiveFacts {
    const missing = [...ALLOWED].filter((n) => !this.members.has(n));
    if (missing.includes('SHA256SUMS.sealed')) {
      throw new SourceError('incomplete snapshot, unable to read SHA256SUMS.sealed file');
    }
    if (missing.length > 0) throw new SourceError(`snapshot archive is missing ${missing.join(', ')}`);
    if ((this.members.get('SHA256SUMS.sealed')?.size ?? 0) === 0) {
      throw new SourceError('incomplete snapshot, SHA256SUMS.sealed is empty');
    }
    const listed = new Map<string, string>();
    for (const line of (this.members.get('SHA256SUMS')?.content ?? Buffer.alloc(0))
      .toString('utf8')
      .split('\n')) {
      if (line === '') continue;
      const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      if (!m?.[1] || !m[2]) throw new SourceError('snapshot SHA256SUMS has a malformed line');
      listed.set(m[2], m[1]);
    }
    for (const name of ['meta.json', 'state.bin']) {
      const want = listed.get(name);
      if (want === undefined) throw new SourceError(`snapshot SHA256SUMS has no hash for ${name}`);
      if (want !== this.members.get(name)?.sha256) {
        throw new SourceError(`failed checking integrity of snapshot: hash check failed for "${name}"`);
      }
    }
    if (listed.size !== 2) throw new SourceError('snapshot SHA256SUMS lists unexpected files');
    const meta = parseMeta(this.members.get('meta.json')?.content);
    const stateBytes = this.members.get('state.bin')?.size ?? 0;
    if (meta.size !== undefined && meta.size !== stateBytes) {
      throw new SourceError(`snapshot state.bin has ${stateBytes} bytes but meta.json says ${meta.size}`);
    }
    return { archiveBytes: this.archiveBytes, stateBytes, index: meta.index, term: meta.term };
  }
}

function parseMeta(content: Buffer | undefined): { size?: number; index?: number; term?: number } {
  try {
    const m = JSON.parse(content?.toString('utf8') ?? '') as Record<string, unknown>;
    const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
    const out: { size?: number; index?: number; term?: number } = {};
    const size = num(m['Size']);
    const index = num(m['Index']);
    const term = num(m['Term']);
    if (size !== undefined) out.size = size;
    if (index !== undefined) out.index = index;
    if (term !== undefined) out.term = term;
    return out;
  } catch {
    throw new SourceError('snapshot meta.json is not valid JSON');
  }
}
