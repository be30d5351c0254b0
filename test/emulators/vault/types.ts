// Public shapes of the Vault (Integrated Storage / Raft) emulator, shared by every part of it and by the tests.

export interface VaultClusterOptions {
  nodes?: number;
  tls?: { certPem: string; keyPem: string };
  secretShares?: number;
  secretThreshold?: number;
  data?: Record<string, string>;
  padStateBinBytes?: number;
  compressionLevel?: number;
  applyDelayMs?: number;
  distribution?: 'vault' | 'openbao';
}

export interface VaultFaults {
  truncateAfterBytes?: number;
  resetAfterBytes?: number;
  omitSealedSums?: boolean;
  corruptSums?: boolean;
  chunkDelayMs?: number;
  snapshotError500?: boolean;
  leaderUnknown?: boolean;
  restoreReadTimeoutMs?: number;
  serveArchiveFile?: string;
}

export interface VaultNodeInfo {
  url: string;
  apiAddr: string;
  clusterAddr: string;
}

export interface RestoreLogEntry {
  force: boolean;
  status: number;
  bytes: number;
  node: number;
}

export interface RequestLogEntry {
  node: number | 'service';
  method: string;
  path: string;
  status: number;
  tokenSeen: boolean;
  // Extension: which front the connection came through ('direct' = the node's own URL).
  via: 'direct' | 'service' | 'active-service';
}

export interface VaultCluster {
  serviceUrl: string;
  activeServiceUrl: string;
  nodes: VaultNodeInfo[];
  caPem?: string;
  rootToken: string;
  unsealKeys: string[];
  threshold: number;
  clusterId: string;
  activeIndex(): number;
  setActive(i: number): void;
  seal(i?: number): void;
  isSealed(i?: number): boolean;
  createToken(policy: Record<string, string[]>): string;
  revokeToken(token: string): void;
  data(): Record<string, string>;
  setData(key: string, value: string): void;
  faults: VaultFaults;
  clearFaults(): void;
  lastServedArchive(): Buffer | undefined;
  restoreLog(): RestoreLogEntry[];
  requestLog(): RequestLogEntry[];
  waitForRestoreApplied(): Promise<void>;
  close(): Promise<void>;
}

export interface StorageEntry {
  key: string;
  value: Buffer;
}

export interface RaftServer {
  id: string;
  address: string;
}

export interface ArchiveInput {
  entries: StorageEntry[];
  index: number;
  term: number;
  servers: RaftServer[];
  sealKey: Buffer;
  compressionLevel?: number;
  omitSealed?: boolean;
  corruptSums?: boolean;
  // Extensions (optional): raft ConfigurationIndex (default 1) and the shared tar mtime in seconds (default now).
  configurationIndex?: number;
  mtimeSec?: number;
}

export interface ParsedArchive {
  meta: Record<string, unknown>;
  entries: StorageEntry[];
  sums: string;
  sealed: Buffer | undefined;
}
