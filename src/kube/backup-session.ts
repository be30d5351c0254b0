// Pre-backup actions and the repository wait, as Stash's ExecutePreBackupActions and
// WaitForBackendRepository do (stash-contract §3.5): conditions written through /status with
// get-modify-replace and retries on 409.
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeError, TaskError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { seg, type KubeApi } from './client.ts';
import type { TargetRef } from '../output/output.ts';

export const REPO_INITIALIZED = 'BackendRepositoryInitialized';
const INIT_ACTION = 'InitializeBackendRepository';
const MAX_CONFLICT_RETRIES = 10;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  [k: string]: unknown;
}

type Session = { metadata?: { resourceVersion?: string }; status?: Record<string, unknown> };

const sessionPath = (namespace: string, name: string): string =>
  `/apis/stash.appscode.com/v1beta1/namespaces/${seg(namespace)}/backupsessions/${seg(name)}`;

export async function getBackupSession(k: KubeApi, namespace: string, name: string): Promise<Session> {
  return k.call<Session>(`get backupsession ${namespace}/${name}`, { path: sessionPath(namespace, name) });
}

export function sessionConditions(s: Session): Condition[] {
  const c = s.status?.['conditions'];
  return Array.isArray(c) ? (c as Condition[]) : [];
}

// The target status whose ref equals ours exactly (apiVersion, kind, namespace, name).
export function preBackupActionsFor(s: Session, ref: TargetRef): string[] {
  const targets = Array.isArray(s.status?.['targets'])
    ? (s.status['targets'] as Array<Record<string, unknown>>)
    : [];
  for (const t of targets) {
    const r = (t['ref'] ?? {}) as Record<string, unknown>;
    if (
      r['apiVersion'] === ref.apiVersion &&
      r['kind'] === ref.kind &&
      r['name'] === ref.name &&
      r['namespace'] === ref.namespace
    ) {
      return Array.isArray(t['preBackupActions']) ? t['preBackupActions'].map(String) : [];
    }
  }
  return [];
}

// Upserts one session condition by type; lastTransitionTime moves only when something changed.
export async function setSessionCondition(
  k: KubeApi,
  namespace: string,
  name: string,
  cond: Condition,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const s = await getBackupSession(k, namespace, name);
    const existing = sessionConditions(s);
    const old = existing.find((c) => c.type === cond.type);
    const unchanged =
      old?.status === cond.status && old.reason === cond.reason && old.message === cond.message;
    const next: Condition = {
      ...cond,
      lastTransitionTime:
        unchanged && old.lastTransitionTime
          ? old.lastTransitionTime
          : new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const conditions = [...existing.filter((c) => c.type !== cond.type), next];
    const body = { ...s, status: { ...(s.status ?? {}), conditions } };
    try {
      await k.call(`update status of backupsession ${namespace}/${name}`, {
        method: 'PUT',
        path: `${sessionPath(namespace, name)}/status`,
        body,
      });
      return;
    } catch (err) {
      if (err instanceof KubeError && err.status === 409 && attempt < MAX_CONFLICT_RETRIES) continue;
      throw err;
    }
  }
}

export interface PreBackupDeps {
  repositoryExists: () => Promise<boolean>;
  initRepository: () => Promise<void>;
}

export async function executePreBackupActions(
  k: KubeApi,
  namespace: string,
  name: string,
  ref: TargetRef,
  deps: PreBackupDeps,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const session = await getBackupSession(k, namespace, name);
  for (const action of preBackupActionsFor(session, ref)) {
    if (action !== INIT_ACTION) throw new TaskError('config', `unknown pre-backup action "${action}"`);
    if (sessionConditions(session).some((c) => c.type === REPO_INITIALIZED)) continue;
    try {
      if (!(await deps.repositoryExists())) await deps.initRepository();
      await setSessionCondition(k, namespace, name, {
        type: REPO_INITIALIZED,
        status: 'True',
        reason: 'BackendRepositoryFound',
        message: 'Repository exist in the backend.',
      });
    } catch (err) {
      // Stopped because the run is failing anyway (the Vault side failed, or SIGTERM): not the
      // repository's fault, so nothing is recorded on the session.
      if (signal?.aborted === true) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      await setSessionCondition(k, namespace, name, {
        type: REPO_INITIALIZED,
        status: 'False',
        reason: 'FailedToInitializeBackendRepository',
        message: `Failed to initialize backend repository. Reason: ${reason}`,
      });
    }
  }
}

export async function waitForBackendRepository(
  k: KubeApi,
  namespace: string,
  name: string,
  log: Logger,
  o: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const pollMs = o.pollMs ?? 5000;
  const deadline = Date.now() + (o.timeoutMs ?? 30 * 60_000);
  for (;;) {
    const c = sessionConditions(await getBackupSession(k, namespace, name)).find(
      (x) => x.type === REPO_INITIALIZED,
    );
    if (c?.status === 'True') return;
    if (c?.status === 'False') {
      throw new TaskError(
        'restic',
        `backend repository is not ready: ${c.reason ?? 'FailedToInitializeBackendRepository'}${c.message ? ` (${c.message})` : ''}`,
      );
    }
    if (Date.now() > deadline)
      throw new TaskError('timeout', 'timed out waiting for the backend repository to be initialized');
    log.info('waiting for the backend repository to be initialized');
    await sleep(pollMs, undefined, o.signal ? { signal: o.signal } : {});
  }
}
