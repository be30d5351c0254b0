// startVaultClusterProcess: the emulated cluster in a child Node process (same node binary), so a benchmark's
// own process never pays for serving snapshots or checking restores. Controlled over IPC (ipc-protocol.ts);
// the child dies with its handle's close(), with the parent's exit, and when the IPC channel drops.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildIdentity, ChildMessage, ChildOps, OpName, ParentMessage } from './ipc-protocol.ts';
import type { VaultClusterHandle, VaultClusterOptions } from './types.ts';

const ENTRY = fileURLToPath(new URL('./cluster-child.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const EXIT_GRACE_MS = 5_000;

const live = new Set<ChildProcess>();
let exitHooked = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

// IPC decodes Buffers as plain Uint8Arrays; give them back their Buffer face.
function revive(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : value;
}

type Result<K extends OpName> = Awaited<ReturnType<ChildOps[K]>>;

// Forks cluster-child.ts, starts the cluster there with `opts` (TLS included) and returns its handle.
export async function startVaultClusterProcess(opts: VaultClusterOptions = {}): Promise<VaultClusterHandle> {
  const child = fork(ENTRY, [], {
    execPath: process.execPath,
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let ident: ChildIdentity = { rootToken: '', unsealKeys: [], threshold: 0, clusterId: '' };
  // The IPC channel keeps the parent alive only while a call is outstanding.
  const holdOpen = (): void => {
    if (pending.size > 0) child.channel?.ref();
    else child.channel?.unref();
  };
  const failAll = (why: string): void => {
    for (const p of pending.values()) p.reject(new Error(why));
    pending.clear();
  };
  child.once('exit', (code, signal) => failAll(`vault emulator child exited (${signal ?? code})`));

  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('vault emulator child did not start in time'));
    }, START_TIMEOUT_MS);
    const onExit = (code: number | null, signal: string | null): void => {
      clearTimeout(timer);
      reject(new Error(`vault emulator child exited before it was ready (${signal ?? code})`));
    };
    child.once('exit', onExit);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('message', (raw) => {
      const msg = raw as ChildMessage;
      if (msg.type === 'ready' || msg.type === 'start-failed') {
        clearTimeout(timer);
        child.off('exit', onExit);
        if (msg.type === 'ready') resolve(msg);
        else {
          child.kill('SIGKILL');
          reject(new Error(`vault emulator child failed to start: ${msg.error}`));
        }
        return;
      }
      ident = msg.identity;
      const p = pending.get(msg.id);
      if (p === undefined) return;
      pending.delete(msg.id);
      holdOpen();
      if (msg.ok) p.resolve(revive(msg.value));
      else p.reject(new Error(msg.error));
    });
    const start: ParentMessage = { type: 'start', opts };
    child.send(start);
  });
  ident = ready.identity;
  child.unref();
  holdOpen();

  const call = <K extends OpName>(op: K, ...args: Parameters<ChildOps[K]>): Promise<Result<K>> =>
    new Promise<Result<K>>((resolve, reject) => {
      if (!child.connected) return reject(new Error('vault emulator child is gone'));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      holdOpen();
      const msg: ParentMessage = { type: 'call', id, op, args };
      child.send(msg);
    });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
      child.ref();
      await call('close').catch(() => undefined);
      if (child.connected) child.disconnect();
      await exited(child);
      clearTimeout(timer);
    })();
    return closing;
  };

  return {
    serviceUrl: ready.serviceUrl,
    activeServiceUrl: ready.activeServiceUrl,
    nodes: ready.nodes,
    get rootToken() {
      return ident.rootToken;
    },
    get unsealKeys() {
      return [...ident.unsealKeys];
    },
    get threshold() {
      return ident.threshold;
    },
    get clusterId() {
      return ident.clusterId;
    },
    pid: child.pid ?? 0,
    createToken: (policy) => call('createToken', policy),
    revokeToken: (token) => call('revokeToken', token),
    setFaults: (partial) => call('setFaults', partial),
    clearFaults: () => call('clearFaults'),
    activeIndex: () => call('activeIndex'),
    setActive: (i) => call('setActive', i),
    seal: (i) => (i === undefined ? call('seal') : call('seal', i)),
    isSealed: (i) => (i === undefined ? call('isSealed') : call('isSealed', i)),
    data: () => call('data'),
    setData: (key, value) => call('setData', key, value),
    lastServedArchive: () => call('lastServedArchive'),
    restoreLog: () => call('restoreLog'),
    requestLog: () => call('requestLog'),
    waitForRestoreApplied: () => call('waitForRestoreApplied'),
    hugeErrorBytesSent: () => call('hugeErrorBytesSent'),
    close,
  };
}
