// restic exit status → ResticError. Codes 10/11/12 exist only from 0.17, so 0.14's stderr text is read too;
// any other non-zero code is a failure (restic's scripting docs: unknown codes MUST be failures).
import { ResticError, type ResticErrorKind } from '../errors.ts';

export function classifyExit(
  exitCode: number | undefined,
  signal: string | undefined,
  stderr: string,
): ResticErrorKind {
  if (signal !== undefined || exitCode === 130) return 'cancelled';
  if (
    exitCode === 10 ||
    /Is there a repository at the following location\?|repository does not exist/i.test(stderr)
  )
    return 'repo-missing';
  if (exitCode === 11 || /repository is already locked/i.test(stderr)) return 'locked';
  if (exitCode === 12 || /wrong password or no key found/i.test(stderr)) return 'wrong-password';
  if (/no matching ID found|path .* not found in snapshot|cannot dump file: path/i.test(stderr))
    return 'not-found';
  return 'failed';
}

const KIND_TEXT: Record<ResticErrorKind, string> = {
  'repo-missing': 'the restic repository does not exist or cannot be reached',
  locked: 'the restic repository is locked by another process',
  'wrong-password': 'wrong restic password (RESTIC_PASSWORD in the storage secret)',
  'not-found': 'the requested snapshot or file is not in the repository',
  cancelled: 'restic was cancelled',
  failed: 'restic failed',
};

// The last meaningful stderr lines (restic's own words), at most `max`.
export function stderrTail(stderr: string, max = 6): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('{"message_type":"status"'))
    .slice(-max)
    .join(' | ');
}

export function resticError(
  command: string,
  exitCode: number | undefined,
  signal: string | undefined,
  stderr: string,
): ResticError {
  const kind = classifyExit(exitCode, signal, stderr);
  const tail = stderrTail(stderr);
  const status = signal !== undefined ? `signal ${signal}` : `exit code ${String(exitCode)}`;
  const detail = tail === '' ? '' : `: ${tail}`;
  return new ResticError(`restic ${command}: ${KIND_TEXT[kind]} (${status})${detail}`, kind, exitCode, tail);
}
