// A session's deadline (BackupSession.status.backupDeadline, RestoreSession.status.restoreDeadline, set
// by the operator from backupTimeout / restoreTimeout): past it KubeStash counts the run as failed, so the
// job stops there too, with a cause that says so, instead of writing a result nobody waits for.
import { TaskError } from '../errors.ts';

export interface Deadline {
  signal: AbortSignal;
  clear(): void;
}

export function withDeadline(parent: AbortSignal, deadline: string | undefined, owner: string): Deadline {
  const at = deadline === undefined || deadline === '' ? NaN : Date.parse(deadline);
  if (Number.isNaN(at)) return { signal: parent, clear: () => undefined };
  const reason = new TaskError('timeout', `the deadline of ${owner} (${deadline ?? ''}) has passed`);
  const left = at - Date.now();
  if (left <= 0) throw reason;
  const c = new AbortController();
  const timer = setTimeout(() => c.abort(reason), left);
  timer.unref();
  return { signal: AbortSignal.any([parent, c.signal]), clear: () => clearTimeout(timer) };
}

// What a stopped run failed of: the passed deadline rather than the cancelled call it interrupted.
export function stopCause(signal: AbortSignal, err: unknown): unknown {
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  return reason instanceof TaskError && reason.code === 'timeout' ? reason : err;
}
