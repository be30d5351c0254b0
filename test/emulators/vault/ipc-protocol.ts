// Messages between startVaultClusterProcess (parent) and cluster-child.ts: a start message, one reply per
// call carrying the cluster identity as of that moment, and a table of the operations the child serves.
import type {
  RequestLogEntry,
  RestoreLogEntry,
  VaultClusterOptions,
  VaultFaults,
  VaultNodeInfo,
} from './types.ts';

// Operations the child runs on its cluster, by name (arrow-typed: the child calls them detached).
export interface ChildOps {
  createToken: (policy: Record<string, string[]>) => string;
  revokeToken: (token: string) => void;
  setFaults: (partial: VaultFaults) => void;
  clearFaults: () => void;
  activeIndex: () => number;
  setActive: (i: number) => void;
  seal: (i?: number) => void;
  isSealed: (i?: number) => boolean;
  data: () => Record<string, string>;
  setData: (key: string, value: string) => void;
  lastServedArchive: () => Buffer | undefined;
  restoreLog: () => RestoreLogEntry[];
  requestLog: () => RequestLogEntry[];
  waitForRestoreApplied: () => Promise<void>;
  hugeErrorBytesSent: () => number;
  close: () => Promise<void>;
}

export type OpName = keyof ChildOps;

// Identity fields that a restore can change; refreshed on every reply.
export interface ChildIdentity {
  rootToken: string;
  unsealKeys: string[];
  threshold: number;
  clusterId: string;
}

// Parent -> child.
export type ParentMessage =
  { type: 'start'; opts: VaultClusterOptions } | { type: 'call'; id: number; op: OpName; args: unknown[] };

// Child -> parent.
export type ChildMessage =
  | {
      type: 'ready';
      serviceUrl: string;
      activeServiceUrl: string;
      nodes: VaultNodeInfo[];
      identity: ChildIdentity;
    }
  | { type: 'start-failed'; error: string }
  | { type: 'reply'; id: number; ok: true; value: unknown; identity: ChildIdentity }
  | { type: 'reply'; id: number; ok: false; error: string; identity: ChildIdentity };
