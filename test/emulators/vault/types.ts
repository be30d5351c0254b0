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
  // Accept "Authorization: Bearer <token>" like real Vault. Default false: our client must only ever use
  // X-Vault-Token, so an Authorization-only token is answered 400 (an emulator assertion, not Vault's).
  acceptBearer?: boolean;
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
  // A snapshot upload (POST/PUT) that arrives on a kept-alive connection finds it closed by the server
  // (no response): the keep-alive reuse race a client must not lose a non-replayable request to.
  closeReusedOnUpload?: boolean;
  serveArchiveFile?: string;
  // Never answer (after TLS and the request head): every path, or only the listed URL paths.
  hang?: boolean | string[];
  // /v1/sys/health and the snapshot GET answer hugeErrorStatus (default 503) with a JSON body of this many
  // bytes, generated while streaming; hugeErrorBytesSent() tells how much of it left the emulator.
  hugeErrorBytes?: number;
  hugeErrorStatus?: number;
  // Error bodies repeat the request's token in every message, like a misbehaving proxy.
  echoTokenInErrors?: boolean;
  // What /v1/sys/leader reports as leader_address / leader_cluster_address (verbatim).
  leaderAddress?: string;
  leaderClusterAddress?: string;
  // The Location (verbatim) of a standby's 307 for the snapshot paths.
  redirectLocation?: string;
  // Every node, the active one included, answers as a standby (307 on the snapshot paths, standby health).
  forceStandbyAll?: boolean;
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
  // Extension: where the token came from (X-Vault-Token wins, as in getTokenFromReq) and whether the
  // request carried any Authorization header at all.
  tokenHeader: 'x-vault-token' | 'authorization' | 'none';
  authorizationHeader: boolean;
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
  // Body bytes of hugeErrorBytes answers flushed to the kernel so far (all responses, since start).
  hugeErrorBytesSent(): number;
  close(): Promise<void>;
}

// A cluster running in a child Node process (startVaultClusterProcess), driven over IPC.
export interface VaultClusterHandle {
  readonly serviceUrl: string;
  readonly activeServiceUrl: string;
  readonly nodes: VaultNodeInfo[];
  // Identity as of the child's latest answer (every call refreshes it, e.g. after a foreign restore).
  readonly rootToken: string;
  readonly unsealKeys: string[];
  readonly threshold: number;
  readonly clusterId: string;
  // The child's pid (CPU time: /proc/<pid>/stat).
  readonly pid: number;
  createToken(policy: Record<string, string[]>): Promise<string>;
  revokeToken(token: string): Promise<void>;
  setFaults(partial: VaultFaults): Promise<void>;
  clearFaults(): Promise<void>;
  activeIndex(): Promise<number>;
  setActive(i: number): Promise<void>;
  seal(i?: number): Promise<void>;
  isSealed(i?: number): Promise<boolean>;
  data(): Promise<Record<string, string>>;
  setData(key: string, value: string): Promise<void>;
  lastServedArchive(): Promise<Buffer | undefined>;
  restoreLog(): Promise<RestoreLogEntry[]>;
  requestLog(): Promise<RequestLogEntry[]>;
  waitForRestoreApplied(): Promise<void>;
  hugeErrorBytesSent(): Promise<number>;
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
