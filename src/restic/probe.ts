// One restic start that both proves the repository (it opens it with the password) and lists its locks,
// where Stash's wrapper spends one start on `snapshots` and another on `list locks`.
import { ResticError } from '../errors.ts';
import { listLocksArgs } from './args.ts';
import type { ResticSession } from './session.ts';

export interface RepositoryProbe {
  exists: boolean;
  lockIds: string[];
}

export async function probeRepository(
  session: ResticSession,
  signal?: AbortSignal,
): Promise<RepositoryProbe> {
  try {
    const out = await session.run(listLocksArgs(session.common), signal);
    return { exists: true, lockIds: parseLockIds(out) };
  } catch (err) {
    if (err instanceof ResticError && err.kind === 'repo-missing') return { exists: false, lockIds: [] };
    throw err;
  }
}

export function parseLockIds(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-f]{64}$/.test(l));
}
