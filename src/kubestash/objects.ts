// The KubeStash objects the job reads, as far as it reads them (kubestash-contract §2, §7), and their
// API paths. Fields are optional: the API server omits empty ones.
import { seg } from '../kube/client.ts';

export const CORE = 'core.kubestash.com/v1alpha1';
export const STORAGE = 'storage.kubestash.com/v1alpha1';
// The component this addon writes and restores (kubestash-contract §3).
export const COMPONENT = 'dump';
export const REPO_NAME_LABEL = 'kubestash.com/repo-name';

export interface ObjectRef {
  apiGroup?: string;
  kind?: string;
  namespace?: string;
  name?: string;
}

export interface Meta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
}

export interface BackupSessionObj {
  metadata: Meta;
  spec?: { invoker?: ObjectRef; session?: string };
  status?: { snapshots?: Array<{ name?: string; repository?: string }>; backupDeadline?: string };
}

export interface BackupConfigurationObj {
  metadata: Meta;
  spec?: { target?: ObjectRef };
}

export interface ResticStatsItem {
  id?: string;
  hostPath?: string;
  summary?: { id?: string; hostPath?: string };
}

export interface ComponentObj {
  path?: string;
  phase?: string;
  resticStats?: ResticStatsItem[];
}

export interface SnapshotObj {
  metadata: Meta;
  spec?: { repository?: string; session?: string; version?: string; appRef?: ObjectRef };
  status?: { phase?: string; snapshotTime?: string; components?: Record<string, ComponentObj> };
}

export interface RepositoryObj {
  metadata: Meta;
  spec?: { path?: string; storageRef?: ObjectRef; encryptionSecret?: ObjectRef };
}

export interface StorageSpec {
  provider?: string;
  local?: { mountPath?: string; subPath?: string; maxConnections?: number };
  s3?: {
    endpoint?: string;
    bucket?: string;
    prefix?: string;
    region?: string;
    secretName?: string;
    maxConnections?: number;
    insecureTLS?: boolean;
  };
  gcs?: { bucket?: string; prefix?: string; secretName?: string; maxConnections?: number };
  azure?: {
    storageAccount?: string;
    container?: string;
    prefix?: string;
    secretName?: string;
    maxConnections?: number;
  };
}

export interface BackupStorageObj {
  metadata: Meta;
  spec?: { storage?: StorageSpec };
}

export interface RestoreSessionObj {
  metadata: Meta;
  status?: { restoreDeadline?: string };
  spec?: {
    target?: ObjectRef;
    dataSource?: {
      namespace?: string;
      repository?: string;
      snapshot?: string;
      components?: string[];
      encryptionSecret?: ObjectRef;
    };
  };
}

type Plural =
  | 'backupsessions'
  | 'backupconfigurations'
  | 'restoresessions'
  | 'snapshots'
  | 'repositories'
  | 'backupstorages';

const GROUP: Record<Plural, string> = {
  backupsessions: CORE,
  backupconfigurations: CORE,
  restoresessions: CORE,
  snapshots: STORAGE,
  repositories: STORAGE,
  backupstorages: STORAGE,
};

export function objectPath(plural: Plural, namespace: string, name?: string): string {
  const base = `/apis/${GROUP[plural]}/namespaces/${seg(namespace)}/${plural}`;
  return name === undefined ? base : `${base}/${seg(name)}`;
}
