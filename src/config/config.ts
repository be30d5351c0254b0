// The typed, frozen configuration a command runs with. Units are in the names.
import type { CommandName } from './flags.ts';

export interface RepositoryConfig {
  provider: string;
  bucket: string;
  endpoint: string;
  region: string;
  prefix: string;
  insecureTls: boolean;
  storageSecretName: string;
  storageSecretNamespace: string;
  maxConnections: number;
  enableCache: boolean;
  scratchDir: string;
}

export interface CommonConfig {
  command: CommandName;
  repository: RepositoryConfig;
  hostname: string;
  namespace: string;
  appBindingName: string;
  appBindingNamespace: string;
  interimDataDir: string;
  outputDir: string;
  waitTimeoutMs: number;
  vaultClientTimeoutMs: number | undefined;
  keyPrefix: string;
  kubeconfig: string;
  master: string;
  logLevel: string;
}

export interface BackupConfig extends CommonConfig {
  command: 'backup-vault';
  backupSession: string;
  lockTimeoutMs: number;
}

export interface RestoreConfig extends CommonConfig {
  command: 'restore-vault';
  snapshots: string[];
  sourceHostname: string;
  force: boolean;
  oldKeyPrefix: string;
}

export type Config = BackupConfig | RestoreConfig;

export interface ParsedArgs {
  config: Config;
  warnings: string[];
}
