import { TaskError } from '../errors.ts';
import { registerSecret } from '../secrets.ts';

// The small interface every unsealer store implements (kubernetesSecret and the three cloud modes).
export interface KeyStore {
  // Human name for errors, e.g. `kubernetesSecret demo/vault-keys`.
  readonly description: string;
  get(name: string): Promise<Buffer | undefined>;
  set(name: string, value: Buffer): Promise<void>;
}

// A store that can prove, before a force restore touches Vault, that it can use its credentials.
export interface CheckedKeyStore extends KeyStore {
  // Authenticates and reads the named keys (missing ones are fine), changing nothing.
  checkAccess(names: readonly string[]): Promise<void>;
  close?(): Promise<void>;
}

export interface KeyValue {
  name: string;
  value: Buffer;
}

// Reads every named key; all missing ones are reported together, by name only.
export async function readKeys(store: KeyStore, names: readonly string[]): Promise<KeyValue[]> {
  const out: KeyValue[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const value = await store.get(name);
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
