// Entry script of startVaultClusterProcess: runs startVaultCluster in this (child) process and serves the
// parent's calls over IPC. Exits when told to close or as soon as the parent goes away.
import { startVaultCluster } from './cluster.ts';
import type { ChildIdentity, ChildMessage, ChildOps, ParentMessage } from './ipc-protocol.ts';
import type { VaultCluster } from './types.ts';

let cluster: VaultCluster | undefined;
let exiting = false;

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

function identity(c: VaultCluster | undefined): ChildIdentity {
  return {
    rootToken: c?.rootToken ?? '',
    unsealKeys: c?.unsealKeys ?? [],
    threshold: c?.threshold ?? 0,
    clusterId: c?.clusterId ?? '',
  };
}

function opsOf(c: VaultCluster): ChildOps {
  return {
    createToken: (policy) => c.createToken(policy),
    revokeToken: (token) => c.revokeToken(token),
    setFaults: (partial) => void Object.assign(c.faults, partial),
    clearFaults: () => c.clearFaults(),
    activeIndex: () => c.activeIndex(),
    setActive: (i) => c.setActive(i),
    seal: (i) => c.seal(i),
    isSealed: (i) => c.isSealed(i),
    data: () => c.data(),
    setData: (key, value) => c.setData(key, value),
    lastServedArchive: () => c.lastServedArchive(),
    restoreLog: () => c.restoreLog(),
    requestLog: () => c.requestLog(),
    waitForRestoreApplied: () => c.waitForRestoreApplied(),
    hugeErrorBytesSent: () => c.hugeErrorBytesSent(),
    close: () => c.close(),
  };
}

// Closes the cluster (unless `closed` already) and lets the process end by dropping the IPC channel; a stuck
// close is ended by SIGTERM after 2 s.
async function shutdown(closed = false): Promise<void> {
  if (exiting) return;
  exiting = true;
  setTimeout(() => process.kill(process.pid, 'SIGTERM'), 2_000).unref();
  if (!closed) await cluster?.close().catch(() => undefined);
  if (process.connected) process.disconnect();
}

async function call(id: number, op: keyof ChildOps, args: unknown[]): Promise<void> {
  if (cluster === undefined) {
    await send({ type: 'reply', id, ok: false, error: 'cluster not started', identity: identity(undefined) });
    return;
  }
  try {
    const fn = opsOf(cluster)[op] as (...a: unknown[]) => unknown;
    const value: unknown = await fn(...args);
    await send({ type: 'reply', id, ok: true, value, identity: identity(cluster) });
  } catch (err) {
    await send({ type: 'reply', id, ok: false, error: (err as Error).message, identity: identity(cluster) });
  }
  if (op === 'close') await shutdown(true);
}

process.on('message', (raw) => {
  const msg = raw as ParentMessage;
  if (msg.type === 'call') {
    void call(msg.id, msg.op, msg.args);
    return;
  }
  startVaultCluster(msg.opts).then(
    (c) => {
      cluster = c;
      return send({
        type: 'ready',
        serviceUrl: c.serviceUrl,
        activeServiceUrl: c.activeServiceUrl,
        nodes: c.nodes,
        identity: identity(c),
      });
    },
    (err: unknown) => send({ type: 'start-failed', error: (err as Error).message }),
  );
});
process.on('disconnect', () => void shutdown());
