// The asynchronous part of a restore (after the 204): a short window in which the node answers 503, then
// the FSM is replaced. Raft index moves forward to max(snapshot, current)+1. A snapshot carrying another
// seal key id (foreign, force-restored) replaces the cluster identity and seals every node.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArchiveContents } from './archive-members.ts';
import type { ClusterState } from './cluster-state.ts';
import { SEAL_CONFIG_KEY } from './identity.ts';

function isIdentityKey(key: string): boolean {
  return key.startsWith('core/') || key.startsWith('sys/token/');
}

// Replaces storage with the snapshot's entries. Archives without core/emu-seal (hand-built test archives)
// only replace non-identity entries, so the cluster keeps its keys and tokens.
export function applySnapshot(state: ClusterState, node: number, c: ArchiveContents): void {
  if (Number(c.meta?.['Size']) !== c.stateBytes || c.state.invalid !== undefined) {
    state.seal(node); // a failed apply leaves the node sealed, as Vault does
    return;
  }
  const incoming = new Map(c.state.entries.map((e) => [e.key, e.value]));
  const before = state.sealConfig()?.seal_key_id;
  if (incoming.has(SEAL_CONFIG_KEY)) {
    state.storage = incoming;
  } else {
    const next = new Map([...state.storage].filter(([k]) => isIdentityKey(k)));
    for (const [k, v] of incoming) if (!isIdentityKey(k)) next.set(k, v);
    state.storage = next;
  }
  state.index = Math.max(Number(c.meta?.['Index']) || 0, state.index) + 1;
  if (state.sealConfig()?.seal_key_id !== before) {
    state.sealKey = undefined;
    state.seal();
  }
}

// Starts the apply window on `node`; waitForRestoreApplied() awaits state.pendingApply.
export function scheduleApply(state: ClusterState, node: number, c: ArchiveContents): void {
  const n = state.nodes[node];
  if (n === undefined) return;
  n.restoring = true;
  state.pendingApply = (async () => {
    try {
      await sleep(state.applyDelayMs, undefined, { signal: state.closing.signal });
      applySnapshot(state, node, c);
    } catch {
      // cluster closed during the window: nothing applied
    } finally {
      n.restoring = false;
    }
  })();
}
