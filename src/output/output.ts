// output.json builders for Stash's update-status (stash-contract §2.2, §2.3), and the one writer.
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatProcessingTime, formatSize } from './go-format.ts';

export interface TargetRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

// What restic's backup summary tells about one stored object.
export interface StoredObjectStats {
  snapshotId: string;
  path: string;
  totalBytesProcessed: number;
  dataAdded: number;
  totalDurationSeconds: number;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  totalFilesProcessed: number;
}

export interface SnapshotStats {
  name: string;
  path: string;
  totalSize: string;
  uploaded: string;
  processingTime: string;
  fileStats: { totalFiles: number; newFiles: number; modifiedFiles: number; unmodifiedFiles: number };
}

export interface HostStats {
  hostname?: string;
  phase: 'Succeeded' | 'Failed';
  snapshots?: SnapshotStats[];
  duration?: string;
  error?: string;
}

export interface TaskOutput {
  targetStatus: { ref: Partial<TargetRef>; stats: HostStats[] };
}

export function appBindingRef(name: string, namespace: string): TargetRef {
  return { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name, namespace };
}

export function snapshotStats(s: StoredObjectStats): SnapshotStats {
  return {
    name: s.snapshotId,
    path: s.path,
    totalSize: formatSize(s.totalBytesProcessed),
    uploaded: formatSize(s.dataAdded),
    processingTime: formatProcessingTime(s.totalDurationSeconds),
    fileStats: {
      totalFiles: s.totalFilesProcessed,
      newFiles: s.filesNew,
      modifiedFiles: s.filesChanged,
      unmodifiedFiles: s.filesUnmodified,
    },
  };
}

// Key order follows the Go structs; empty hostname/error are omitted like Go's omitempty.
export function hostStats(h: {
  hostname: string;
  phase: HostStats['phase'];
  duration?: string;
  snapshots?: SnapshotStats[];
  error?: string;
}): HostStats {
  return {
    ...(h.hostname !== '' ? { hostname: h.hostname } : {}),
    phase: h.phase,
    ...(h.snapshots !== undefined && h.snapshots.length > 0 ? { snapshots: h.snapshots } : {}),
    ...(h.duration !== undefined ? { duration: h.duration } : {}),
    ...(h.error !== undefined && h.error !== '' ? { error: h.error } : {}),
  };
}

export function taskOutput(ref: TargetRef, host: HostStats): TaskOutput {
  return { targetStatus: { ref, stats: [host] } };
}

// Written 2-space indented with mode 0777 like Stash's WriteOutput, so update-status (maybe another
// UID) can rewrite it; renamed into place so a reader never sees half a file.
export async function writeOutput(outputDir: string, output: TaskOutput): Promise<string> {
  await mkdir(outputDir, { recursive: true, mode: 0o777 });
  const path = join(outputDir, 'output.json');
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(output, null, 2) + '\n', { mode: 0o777 });
  await chmod(tmp, 0o777);
  await rename(tmp, path);
  return path;
}
