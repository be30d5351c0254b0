// The configuration of a KubeStash run (kubestash-contract §2, §7): the session names the rest, which is
// read from the cluster. Units are in the names.
export interface KubeStashCommon {
  namespace: string;
  scratchDir: string;
  enableCache: boolean;
  interimDataDir: string;
  waitTimeoutMs: number;
  vaultClientTimeoutMs: number | undefined;
  keyPrefix: string;
  kubeconfig: string;
  master: string;
  logLevel: string;
}

export interface KubeStashBackupConfig extends KubeStashCommon {
  command: 'backup';
  backupSession: string;
  lockTimeoutMs: number;
}

export interface KubeStashRestoreConfig extends KubeStashCommon {
  command: 'restore';
  restoreSession: string;
  // A Snapshot object's name; '' or 'latest' resolves to the newest Succeeded Snapshot of the repository.
  snapshot: string;
  force: boolean;
  oldKeyPrefix: string;
}

export type KubeStashConfig = KubeStashBackupConfig | KubeStashRestoreConfig;
