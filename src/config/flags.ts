// Every flag the upstream vault-1.10.3 Functions pass, plus our own. All are parsed as strings (minimist
// would turn `--insecure-tls=` into true and `--key-prefix=007` into 7) and converted in convert.ts.
export const COMMANDS = ['backup-vault', 'restore-vault'] as const;
export type CommandName = (typeof COMMANDS)[number];

// Flags shared by both commands (repository, Kubernetes target, runtime).
const COMMON_FLAGS = [
  'provider',
  'bucket',
  'endpoint',
  'insecure-tls',
  'region',
  'path',
  'storage-secret-name',
  'storage-secret-namespace',
  'scratch-dir',
  'enable-cache',
  'max-connections',
  'hostname',
  'vault-args',
  'wait-timeout',
  'namespace',
  'appbinding',
  'appbinding-namespace',
  'interim-data-dir',
  'output-dir',
  'license-apiservice',
  'key-prefix',
  'kubeconfig',
  'master',
  'log-level',
] as const;

// Accepted because the catalog passes them; retention is update-status's job (stash-contract §3.3).
const RETENTION_FLAGS = [
  'retention-keep-last',
  'retention-keep-hourly',
  'retention-keep-daily',
  'retention-keep-weekly',
  'retention-keep-monthly',
  'retention-keep-yearly',
  'retention-keep-tags',
  'retention-prune',
  'retention-dry-run',
] as const;

export const FLAGS_BY_COMMAND: Record<CommandName, readonly string[]> = {
  // --lock-timeout is ours: how long a backup waits for restic lock holders that may be alive.
  'backup-vault': [...COMMON_FLAGS, ...RETENTION_FLAGS, 'backupsession', 'lock-timeout'],
  'restore-vault': [...COMMON_FLAGS, 'source-hostname', 'snapshot', 'force', 'old-key-prefix'],
};

export const ALL_FLAGS: readonly string[] = [
  ...new Set([...FLAGS_BY_COMMAND['backup-vault'], ...FLAGS_BY_COMMAND['restore-vault']]),
];

// Flags without which a run cannot start; reported together.
export const REQUIRED_FLAGS: readonly string[] = [
  'provider',
  'storage-secret-name',
  'storage-secret-namespace',
  'appbinding',
];
