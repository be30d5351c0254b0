// One error family for the whole task: a stable `code` is the contract, `message` is for humans and
// ends up in output.json, so it must never contain a secret.
export type ErrorCode =
  'usage' | 'kube' | 'vault' | 'restic' | 'source' | 'keys' | 'config' | 'cancelled' | 'timeout';

export interface TaskErrorOptions {
  cause?: unknown;
}

export class TaskError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options: TaskErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TaskError';
    this.code = code;
  }
}

// Bad or missing flags: the Function YAML or the invoker is misconfigured (exit 2).
export class UsageError extends TaskError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('usage', `invalid arguments: ${problems.join('; ')}`);
    this.name = 'UsageError';
    this.problems = problems;
  }
}

// Kubernetes API failure, described by status and object, never by the raw response.
export class KubeError extends TaskError {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options: TaskErrorOptions = {}) {
    super('kube', message, options);
    this.name = 'KubeError';
    this.status = status;
  }
}

// Vault answered with an error status; `errors` is Vault's own {"errors":[...]} list.
export class VaultError extends TaskError {
  readonly status: number | undefined;
  readonly errors: string[];
  constructor(message: string, status?: number, errors: string[] = [], options: TaskErrorOptions = {}) {
    super('vault', message, options);
    this.name = 'VaultError';
    this.status = status;
    this.errors = errors;
  }
}

export type ResticErrorKind =
  'repo-missing' | 'locked' | 'wrong-password' | 'not-found' | 'cancelled' | 'failed';

// restic exited non-zero; `stderrTail` is the last lines restic printed (restic never prints secrets).
export class ResticError extends TaskError {
  readonly kind: ResticErrorKind;
  readonly exitCode: number | undefined;
  readonly stderrTail: string;
  constructor(message: string, kind: ResticErrorKind, exitCode: number | undefined, stderrTail: string) {
    super('restic', message);
    this.name = 'ResticError';
    this.kind = kind;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

// The snapshot stream was truncated or is not a valid Vault Raft archive.
export class SourceError extends TaskError {
  constructor(message: string, options: TaskErrorOptions = {}) {
    super('source', message, options);
    this.name = 'SourceError';
  }
}

// SIGTERM/SIGINT arrived: the pod is being torn down.
export class CancelledError extends TaskError {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals) {
    super('cancelled', `cancelled by ${signal}`);
    this.name = 'CancelledError';
    this.signal = signal;
  }
}

// Human text for any thrown value, safe to put in output.json.
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
