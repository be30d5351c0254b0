// restic JSON output. Fields differ by version (0.14: 8-char snapshot_id); unknown types are ignored.
import { TaskError } from '../errors.ts';

export interface BackupSummary {
  snapshotId: string;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  totalFilesProcessed: number;
  totalBytesProcessed: number;
  dataAdded: number;
  totalDurationSeconds: number;
}

export function parseBackupSummary(stdout: string): BackupSummary {
  for (const line of stdout.split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (msg['message_type'] !== 'summary') continue;
    const n = (k: string): number => (typeof msg[k] === 'number' ? msg[k] : 0);
    const id = msg['snapshot_id'];
    if (typeof id !== 'string' || id === '') break;
    return {
      snapshotId: id,
      filesNew: n('files_new'),
      filesChanged: n('files_changed'),
      filesUnmodified: n('files_unmodified'),
      totalFilesProcessed: n('total_files_processed'),
      totalBytesProcessed: n('total_bytes_processed'),
      dataAdded: n('data_added'),
      totalDurationSeconds: n('total_duration'),
    };
  }
  throw new TaskError('restic', 'restic backup finished without reporting a snapshot id');
}

export interface SnapshotInfo {
  id: string;
  shortId: string;
  time: string;
  hostname: string;
  paths: string[];
  tags: string[];
}

// `snapshots --json` is one JSON array on every version we support.
export function parseSnapshots(stdout: string): SnapshotInfo[] {
  const start = stdout.indexOf('[');
  if (start === -1) throw new TaskError('restic', 'restic snapshots printed no JSON list');
  const list = JSON.parse(stdout.slice(start)) as Array<Record<string, unknown>>;
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return list.map((s) => ({
    id: text(s['id']),
    shortId: text(s['short_id']) || text(s['id']).slice(0, 8),
    time: text(s['time']),
    hostname: text(s['hostname']),
    paths: Array.isArray(s['paths']) ? s['paths'].map(String) : [],
    tags: Array.isArray(s['tags']) ? s['tags'].map(String) : [],
  }));
}
