// The shared state behind every node of one emulated cluster: raft storage (the FSM), indexes, leadership,
// per-node seal state, faults and logs. Identity is always derived from storage, never cached.
import { randomBytes } from 'node:crypto';
import {
  CLUSTER_INFO_KEY,
  MOUNTS_KEY,
  SEAL_CONFIG_KEY,
  TOKEN_PREFIX,
  createIdentity,
  newToken,
  tokenEntry,
  tokenStorageKey,
  type SealConfig,
  type TokenEntry,
} from './identity.ts';
import type {
  ArchiveInput,
  RequestLogEntry,
  RestoreLogEntry,
  VaultClusterOptions,
  VaultFaults,
} from './types.ts';

export interface NodeState {
  sealed: boolean;
  unsealParts: Buffer[];
  nonce: string;
  restoring: boolean;
  apiAddr: string;
  clusterAddr: string;
}

export type Via = 'direct' | 'service' | 'active-service';

function json<T>(buf: Buffer | undefined): T | undefined {
  if (buf === undefined) return undefined;
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

export class ClusterState {
  readonly distribution: 'vault' | 'openbao';
  readonly version: string;
  readonly applyDelayMs: number;
  readonly compressionLevel: number | undefined;
  readonly acceptBearer: boolean;
  readonly nodes: NodeState[];
  readonly restores: RestoreLogEntry[] = [];
  readonly requests: RequestLogEntry[] = [];
  readonly viaPorts = new Map<number, Via>();
  readonly closing = new AbortController();
  storage: Map<string, Buffer>;
  sealKey: Buffer | undefined;
  index: number;
  term = 2;
  active = 0;
  activeSince = new Date();
  faults: VaultFaults = {};
  lastArchive: Buffer | undefined;
  pendingApply: Promise<void> = Promise.resolve();
  hugeErrorBytesSent = 0;
  private tokenCount = 0;

  constructor(opts: VaultClusterOptions) {
    this.distribution = opts.distribution ?? 'vault';
    this.version = this.distribution === 'vault' ? '1.21.1' : '2.5.1';
    this.applyDelayMs = opts.applyDelayMs ?? 150;
    this.compressionLevel = opts.compressionLevel;
    this.acceptBearer = opts.acceptBearer === true;
    const id = createIdentity(opts.secretShares ?? 5, opts.secretThreshold ?? 3, this.distribution);
    this.storage = id.entries;
    this.sealKey = id.sealKey;
    const count = opts.nodes ?? 3;
    this.nodes = Array.from({ length: count }, () => ({
      sealed: false,
      unsealParts: [],
      nonce: '',
      restoring: false,
      apiAddr: '',
      clusterAddr: '',
    }));
    for (const [k, v] of Object.entries(opts.data ?? {})) this.setData(k, v);
    if ((opts.padStateBinBytes ?? 0) > 0)
      this.storage.set('emu/filler/pad', randomBytes(opts.padStateBinBytes ?? 0));
    this.index = 100 + this.storage.size;
  }

  sealConfig(): SealConfig | undefined {
    return json<SealConfig>(this.storage.get(SEAL_CONFIG_KEY));
  }

  clusterInfo(): { name: string; id: string } {
    return json<{ name: string; id: string }>(this.storage.get(CLUSTER_INFO_KEY)) ?? { name: '', id: '' };
  }

  tokens(): TokenEntry[] {
    const out: TokenEntry[] = [];
    for (const [k, v] of this.storage) {
      const t = k.startsWith(TOKEN_PREFIX) ? json<TokenEntry>(v) : undefined;
      if (t !== undefined) out.push(t);
    }
    return out;
  }

  rootToken(): string {
    return this.tokens().find((t) => t.acl === null)?.id ?? '';
  }

  lookupToken(token: string): TokenEntry | undefined {
    return token === '' ? undefined : json<TokenEntry>(this.storage.get(tokenStorageKey(token)));
  }

  // Node i can serve requests (unsealed and not inside a restore apply window).
  isAvailable(i: number): boolean {
    const n = this.nodes[i];
    return n !== undefined && !n.sealed && !n.restoring;
  }

  // Node i acts as the active node (it is the leader and the forceStandbyAll fault is off).
  isActiveNode(i: number): boolean {
    return i === this.active && this.faults.forceStandbyAll !== true;
  }

  data(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.storage) {
      const m = /^logical\/[^/]+\/(.+)$/.exec(k);
      if (m?.[1] !== undefined) out[m[1]] = v.toString('utf8');
    }
    return out;
  }

  setData(key: string, value: string): void {
    const existing = [...this.storage.keys()].find(
      (k) => k.replace(/^logical\/[^/]+\//, '') === key && k.startsWith('logical/'),
    );
    const uuid = json<{ logical_uuid: string }>(this.storage.get(MOUNTS_KEY))?.logical_uuid ?? 'default';
    this.storage.set(existing ?? `logical/${uuid}/${key}`, Buffer.from(value, 'utf8'));
    this.index += 1;
  }

  createToken(acl: Record<string, string[]>): string {
    const token = newToken(this.distribution);
    this.tokenCount += 1;
    const entry = tokenEntry(token, acl, ['default', `emu-policy-${this.tokenCount}`]);
    this.storage.set(tokenStorageKey(token), Buffer.from(JSON.stringify(entry), 'utf8'));
    this.index += 1;
    return token;
  }

  revokeToken(token: string): void {
    if (this.storage.delete(tokenStorageKey(token))) this.index += 1;
  }

  // Input for a snapshot of the current FSM (the active node's view).
  archiveInput(): ArchiveInput {
    return {
      entries: [...this.storage].map(([key, value]) => ({ key, value })),
      index: this.index,
      term: this.term,
      servers: this.nodes.map((n, i) => ({
        id: `node${i}`,
        address: n.clusterAddr.replace(/^https?:\/\//, ''),
      })),
      sealKey: this.sealKey ?? Buffer.alloc(32),
      ...(this.compressionLevel !== undefined ? { compressionLevel: this.compressionLevel } : {}),
    };
  }

  // Seals node i, or every node; progress toward unseal is discarded as on a real seal.
  seal(i?: number): void {
    this.nodes.forEach((n, j) => {
      if (i === undefined || i === j) Object.assign(n, { sealed: true, unsealParts: [], nonce: '' });
    });
  }
}
