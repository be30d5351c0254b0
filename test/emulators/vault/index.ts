// Vault (Integrated Storage / Raft) HTTP emulator for the test suite: public entry point.
export { startVaultCluster } from './cluster.ts';
export { buildSnapshotArchive } from './archive-build.ts';
export { writeSnapshotArchiveFile } from './archive-file.ts';
export { parseSnapshotArchive } from './archive-parse.ts';
export { openSealedSums } from './seal.ts';
export type {
  ArchiveInput,
  ParsedArchive,
  RequestLogEntry,
  RestoreLogEntry,
  VaultCluster,
  VaultClusterOptions,
  VaultFaults,
  VaultNodeInfo,
} from './types.ts';
