// AppBinding secretTransforms applied to the backup-token Secret before reading `token`, in order, with
// only the first member of each entry honoured (kubevault-model §1, kmodules TransformSecret).
import type { SecretBytes } from './secrets.ts';

export interface SecretTransform {
  addKey?: { key: string; value?: string; stringValue?: string };
  renameKey?: { from: string; to: string };
  addKeysFrom?: { secretRef?: { name?: string } };
  removeKey?: { key: string };
}

export async function applySecretTransforms(
  data: SecretBytes,
  transforms: readonly SecretTransform[],
  readSibling: (name: string) => Promise<SecretBytes>,
): Promise<SecretBytes> {
  const out: SecretBytes = { ...data };
  for (const t of transforms) {
    if (t.addKey !== undefined) {
      const { key, value, stringValue } = t.addKey;
      out[key] =
        stringValue !== undefined ? Buffer.from(stringValue, 'utf8') : Buffer.from(value ?? '', 'base64');
    } else if (t.renameKey !== undefined) {
      const { from, to } = t.renameKey;
      const v = out[from];
      if (v !== undefined) {
        out[to] = v;
        delete out[from];
      }
    } else if (t.addKeysFrom !== undefined) {
      Object.assign(out, await readSibling(t.addKeysFrom.secretRef?.name ?? ''));
    } else if (t.removeKey !== undefined) {
      delete out[t.removeKey.key];
    }
  }
  return out;
}
