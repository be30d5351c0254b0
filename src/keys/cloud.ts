// What every cloud unsealer store is given: the mode's spec from the AppBinding, the data of its
// credential secret (undefined = use the pod's ambient credentials), and the environment for endpoint
// overrides. Credentials go to the SDK client only, never into process.env (restic inherits that).
import { TaskError } from '../errors.ts';
import type { CloudDeadlines } from './cloud-call.ts';
import type { CheckedKeyStore } from './store.ts';

export interface CloudStoreOptions {
  // AppBinding namespace, for error messages.
  namespace: string;
  spec: Record<string, unknown>;
  credentials: Record<string, Buffer> | undefined;
  env: NodeJS.ProcessEnv;
  // Overrides of the per-call deadlines (DEFAULT_DEADLINES in cloud-call.ts); tests shorten them.
  deadlines?: Partial<CloudDeadlines>;
}

// checkAccess: authenticates and reads the named keys (missing ones are fine); KMS modes also
// encrypt a probe. Nothing is changed. proveWritable: see each mode's module.
export type CloudKeyStore = CheckedKeyStore;

export const specString = (spec: Record<string, unknown>, field: string): string => {
  const v = spec[field];
  return typeof v === 'string' ? v : '';
};

export function requireSpec(mode: string, spec: Record<string, unknown>, fields: readonly string[]): void {
  const missing = fields.filter((f) => specString(spec, f) === '');
  if (missing.length > 0) {
    throw new TaskError('config', `unsealer mode ${mode} has no ${missing.join(', ')}`);
  }
}

// The name of the credential secret: v1alpha2 `credentialSecretRef.name`, or v1alpha1 `credentialSecret`.
export function credentialSecretName(spec: Record<string, unknown>): string | undefined {
  const ref = spec['credentialSecretRef'];
  if (typeof ref === 'object' && ref !== null) {
    const name = (ref as Record<string, unknown>)['name'];
    if (typeof name === 'string' && name !== '') return name;
  }
  const legacy = spec['credentialSecret'];
  return typeof legacy === 'string' && legacy !== '' ? legacy : undefined;
}
