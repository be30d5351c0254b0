// startVaultCluster: N emulated nodes sharing one raft state, a round-robin Service front and an
// "-active" Service front, plus the control/inspection handle tests use.
import type { Server } from 'node:http';
import { ClusterState } from './cluster-state.ts';
import { recallUnsealKeys } from './identity.ts';
import { startNodeServer } from './node-server.ts';
import { startTcpProxy } from './tcp-proxy.ts';
import type { VaultCluster, VaultClusterOptions, VaultFaults } from './types.ts';

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function makeHandle(
  state: ClusterState,
  urls: { service: string; active: string },
  close: () => Promise<void>,
): VaultCluster {
  return {
    serviceUrl: urls.service,
    activeServiceUrl: urls.active,
    nodes: state.nodes.map((n) => ({ url: n.apiAddr, apiAddr: n.apiAddr, clusterAddr: n.clusterAddr })),
    get rootToken() {
      return state.rootToken();
    },
    get unsealKeys() {
      return recallUnsealKeys(state.sealConfig()?.seal_key_id ?? '');
    },
    get threshold() {
      return state.sealConfig()?.secret_threshold ?? 0;
    },
    get clusterId() {
      return state.clusterInfo().id;
    },
    get faults(): VaultFaults {
      return state.faults;
    },
    set faults(f: VaultFaults) {
      state.faults = f;
    },
    activeIndex: () => state.active,
    setActive: (i) => {
      if (state.nodes[i] === undefined) throw new RangeError(`no node ${i}`);
      state.active = i;
      state.term += 1;
      state.activeSince = new Date();
    },
    seal: (i) => state.seal(i),
    isSealed: (i) => state.nodes[i ?? state.active]?.sealed ?? true,
    createToken: (policy) => state.createToken(policy),
    revokeToken: (token) => state.revokeToken(token),
    data: () => state.data(),
    setData: (k, v) => state.setData(k, v),
    clearFaults: () => {
      for (const k of Object.keys(state.faults)) delete state.faults[k as keyof VaultFaults];
    },
    lastServedArchive: () => state.lastArchive,
    restoreLog: () => state.restores.map((e) => ({ ...e })),
    requestLog: () => state.requests.map((e) => ({ ...e })),
    waitForRestoreApplied: () => state.pendingApply,
    hugeErrorBytesSent: () => state.hugeErrorBytesSent,
    close,
  };
}

// Starts the cluster; node 0 is active, all nodes unsealed, data written through the logical mount.
export async function startVaultCluster(opts: VaultClusterOptions = {}): Promise<VaultCluster> {
  const state = new ClusterState(opts);
  const scheme = opts.tls === undefined ? 'http' : 'https';
  const started = await Promise.all(state.nodes.map((_, i) => startNodeServer(state, i, opts.tls)));
  started.forEach(({ port }, i) => {
    const node = state.nodes[i];
    if (node === undefined) return;
    node.apiAddr = `${scheme}://127.0.0.1:${port}`;
    node.clusterAddr = `https://127.0.0.1:${port < 65535 ? port + 1 : port - 1}`;
  });
  const ports = started.map((s) => s.port);
  let next = 0;
  const tag = (via: 'service' | 'active-service') => (port: number) => {
    state.viaPorts.set(port, via);
    return (): void => {
      state.viaPorts.delete(port);
    };
  };
  const service = await startTcpProxy(() => ports[next++ % ports.length] ?? 0, tag('service'));
  const active = await startTcpProxy(() => ports[state.active] ?? 0, tag('active-service'));
  const close = async (): Promise<void> => {
    state.closing.abort();
    await Promise.all([service.close(), active.close(), ...started.map((s) => closeServer(s.server))]);
    await state.pendingApply;
  };
  return makeHandle(
    state,
    { service: `${scheme}://127.0.0.1:${service.port}`, active: `${scheme}://127.0.0.1:${active.port}` },
    close,
  );
}
