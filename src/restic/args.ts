// Pure argv builders for every restic command we run. No secret ever goes into argv: the password and
// credentials travel in the child environment, files are referenced by path.

export interface CommonFlagOptions {
  cacheDir: string | undefined; // undefined → --no-cache
  caCertPath: string | undefined;
  insecureTls: boolean;
  provider: string;
  maxConnections: number;
}

// Stash's common flags, in its order: cache, cacert, insecure-tls, connections option.
export function commonFlags(o: CommonFlagOptions): string[] {
  const flags = o.cacheDir === undefined ? ['--no-cache'] : ['--cache-dir', o.cacheDir];
  if (o.caCertPath !== undefined) flags.push('--cacert', o.caCertPath);
  if (o.insecureTls) flags.push('--insecure-tls');
  const connectionOption = { gcs: 'gs', azure: 'azure', b2: 'b2' }[o.provider];
  if (connectionOption !== undefined && o.maxConnections > 0) {
    flags.push('--option', `${connectionOption}.connections=${o.maxConnections}`);
  }
  return flags;
}

export interface StdinBackupOptions {
  filename: string;
  host: string;
  tags: string[];
  cacheEnabled: boolean;
}

export function stdinBackupArgs(o: StdinBackupOptions, common: string[]): string[] {
  return [
    'backup',
    '--stdin',
    '--stdin-filename',
    o.filename,
    '--host',
    o.host,
    ...o.tags.flatMap((t) => ['--tag', t]),
    '--quiet',
    '--json',
    ...common,
    ...(o.cacheEnabled ? ['--cleanup-cache'] : []),
  ];
}

export interface FileBackupOptions {
  files: string[];
  host: string;
  tags: string[];
  cacheEnabled: boolean;
}

// A backup of files named relative to the working directory: they land at the root of the snapshot.
export function fileBackupArgs(o: FileBackupOptions, common: string[]): string[] {
  return [
    'backup',
    '--host',
    o.host,
    ...o.tags.flatMap((t) => ['--tag', t]),
    '--quiet',
    '--json',
    ...common,
    ...(o.cacheEnabled ? ['--cleanup-cache'] : []),
    '--',
    ...o.files,
  ];
}

// The whole tree of a snapshot as a tar stream on stdout (every restic version we support).
export function dumpTreeArgs(snapshotId: string, common: string[]): string[] {
  return ['dump', '--quiet', snapshotId, '/', ...common];
}

// The entries of one directory of a snapshot, one JSON object per line.
export function lsArgs(snapshotId: string, dir: string, common: string[]): string[] {
  return ['ls', '--json', snapshotId, dir, ...common];
}

export interface SnapshotFilter {
  tags?: string[]; // each entry is one --tag (OR); commas inside one entry mean AND
  host?: string;
  path?: string;
}

function filterArgs(f: SnapshotFilter): string[] {
  return [
    ...(f.tags ?? []).flatMap((t) => ['--tag', t]),
    ...(f.host !== undefined && f.host !== '' ? ['--host', f.host] : []),
    ...(f.path !== undefined ? ['--path', f.path] : []),
  ];
}

export function snapshotsArgs(filter: SnapshotFilter, common: string[]): string[] {
  return ['snapshots', '--json', '--no-lock', ...filterArgs(filter), ...common];
}

export function initArgs(common: string[]): string[] {
  return ['init', ...common];
}

export function forgetIdsArgs(ids: string[], common: string[]): string[] {
  return ['forget', ...ids, ...common];
}

// Streams one file of a snapshot to stdout; the file is given by its absolute path in the snapshot.
export function dumpArgs(snapshotId: string, file: string, common: string[]): string[] {
  return ['dump', '--quiet', snapshotId, file, ...common];
}

// What KubeStash records as a component's size and integrity (its wrapper's VerifyRepositoryIntegrity).
export function statsRawDataArgs(common: string[]): string[] {
  return ['stats', '--mode', 'raw-data', '--json', '--quiet', '--no-lock', ...common];
}

export function checkArgs(common: string[]): string[] {
  return ['check', '--no-lock', ...common];
}

export function listLocksArgs(common: string[]): string[] {
  return ['list', 'locks', '--no-lock', ...common];
}

export function catLockArgs(id: string, common: string[]): string[] {
  return ['cat', 'lock', id, '--no-lock', ...common];
}

// Plain unlock: removes only stale locks (older than 30 min, or of a dead process on this host).
export function unlockStaleArgs(common: string[]): string[] {
  return ['unlock', ...common];
}

export function unlockAllArgs(common: string[]): string[] {
  return ['unlock', '--remove-all', ...common];
}

// nice/ionice from the invoker's runtimeSettings (env NICE_ADJUSTMENT, IONICE_CLASS, IONICE_CLASS_DATA).
export function niceWrapper(env: NodeJS.ProcessEnv): string[] {
  const prefix: string[] = [];
  const ioClass = env['IONICE_CLASS'] ?? '';
  if (/^\d+$/.test(ioClass)) {
    prefix.push('ionice', '-c', ioClass);
    const data = env['IONICE_CLASS_DATA'] ?? '';
    if (/^\d+$/.test(data)) prefix.push('-n', data);
  }
  const nice = env['NICE_ADJUSTMENT'] ?? '';
  if (/^-?\d+$/.test(nice)) prefix.push('nice', '-n', nice);
  return prefix;
}

// If this process is killed outright (OOM, SIGKILL), restic would read EOF on stdin and commit a truncated
// snapshot; setpriv's parent-death signal kills restic with us instead.
export function deathSignalWrapper(hasSetpriv: boolean): string[] {
  return hasSetpriv ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
}
