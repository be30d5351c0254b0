import { TaskError } from '../errors.ts';
import { registerSecret } from '../secrets.ts';

// The small interface every unsealer store implements (kubernetesSecret and the three cloud modes).
// Values are bytes end to end: never decoded as text, never trimmed.
export interface KeyStore {
  // Human name for errors, e.g. `kubernetesSecret demo/vault-keys`.
  readonly description: string;
  get(name: string, signal?: AbortSignal): Promise<Buffer | undefined>;
  set(name: string, value: Buffer, signal?: AbortSignal): Promise<void>;
}

// What proveWritable established, for the log and the README's table.
export interface WriteProof {
  // e.g. "server-side dry-run of patch secret demo/vault-keys"
  proven: string;
  // What the store's API cannot prove before the real write, if anything.
  unprovable?: string;
}

// A store that can prove, before a force restore touches Vault, that it will accept the new keys.
export interface CheckedKeyStore extends KeyStore {
  // Authenticates and reads the named keys (missing ones are fine), changing nothing.
  checkAccess(names: readonly string[], signal?: AbortSignal): Promise<void>;
  // The cheapest real proof the store's API offers that set() of every name would be accepted, changing
  // nothing a reader could notice; throws a TaskError('keys') naming the store, the key and the refusal.
  proveWritable(names: readonly string[], signal?: AbortSignal): Promise<WriteProof>;
  // "<name>: <why>" for every name the store cannot hold under its own naming rules; [] when all are valid.
  invalidNames(names: readonly string[]): string[];
  close?(): Promise<void>;
}

export interface KeyValue {
  name: string;
  value: Buffer;
}

// Reads every named key; all missing ones are reported together, by name only.
export async function readKeys(
  store: KeyStore,
  names: readonly string[],
  signal?: AbortSignal,
): Promise<KeyValue[]> {
  const out: KeyValue[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const value = await store.get(name, signal);
    if (value === undefined || value.length === 0) missing.push(name);
    else {
      registerSecret(value);
      out.push({ name, value });
    }
  }
  if (missing.length > 0) {
    throw new TaskError('keys', `${store.description} is missing ${missing.join(', ')}`);
  }
  return out;
}

// Refuses, naming every offender, key names the store cannot hold.
export function requireValidNames(store: CheckedKeyStore, names: readonly string[]): void {
  const bad = store.invalidNames(names);
  if (bad.length > 0) {
    throw new TaskError('config', `${store.description} cannot hold these key names: ${bad.join('; ')}`);
  }
}
