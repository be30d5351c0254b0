// What a command returns to cli.ts, which turns it (or an error) into output.json and an exit code.
import type { SnapshotStats, TargetRef } from '../output/output.ts';

export interface CommandResult {
  hostname: string;
  ref: TargetRef;
  snapshots?: SnapshotStats[];
}
