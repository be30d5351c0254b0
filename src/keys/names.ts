// Key names of the KubeVault unsealer store as the Go addon reads them (kubevault-model §4.1):
// `<prefix>-root-token`, `<prefix>-unseal-key-<i>`; without a prefix `root-token`, `unseal-key-<i>`.
export function rootTokenName(prefix: string): string {
  return prefix === '' ? 'root-token' : `${prefix}-root-token`;
}

export function unsealKeyName(prefix: string, index: number): string {
  return prefix === '' ? `unseal-key-${index}` : `${prefix}-unseal-key-${index}`;
}

// Root token first, then unseal-key-0..shares-1.
export function keyNames(prefix: string, shares: number): string[] {
  return [rootTokenName(prefix), ...Array.from({ length: shares }, (_, i) => unsealKeyName(prefix, i))];
}
