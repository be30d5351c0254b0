// Vault (Integrated Storage / Raft) HTTP emulator for the test suite: public entry point.
export { startVaultCluster } from './cluster.ts';
export { startVaultClusterProcess } from './cluster-process.ts';
export { buildSnapshotArchive } from './archive-build.ts';
export { writeSnapshotArchiveFile } from './archive-file.ts';
export { parseSnapshotArchive } from './archive-parse.ts';
export { openSealedSums } from './seal.ts';
export { startRecordingHost } from './recording-host.ts';
export { issueServerCert, makeCa, makeTlsVariants } from './variant-pki.ts';
export { GO_WRITE_BYTES } from './go-stream.ts';
export { BEARER_REJECTED } from './request-gate.ts';
export type { RecordedRequest, RecordingHost, RecordingHostOptions } from './recording-host.ts';
export type { PkiCa, ServerCertOptions, ServerTls, TlsVariants } from './variant-pki.ts';
export type {
  ArchiveInput,
  ParsedArchive,
  RequestLogEntry,
  RestoreLogEntry,
  VaultCluster,
  VaultClusterHandle,
  VaultClusterOptions,
  VaultFaults,
  VaultNodeInfo,
} from './types.ts';
