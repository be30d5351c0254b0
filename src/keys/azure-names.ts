// Key Vault secret naming for the azureKeyVault mode: the unsealer's `.` → `-` mapping, Key Vault's rule for
// secret names (1-127 characters of 0-9, a-z, A-Z and -), and the collisions the lossy, case-insensitive
// mapping allows, all checked before any request.
const VALID = /^[0-9a-zA-Z-]{1,127}$/;
const MAX = 127;

// The unsealer's mapping (strings.ReplaceAll(key, ".", "-")); it is lossy, so it is never reversed.
export const azureSecretNameOf = (key: string): string => key.replaceAll('.', '-');

// Why Key Vault cannot hold the secret the key maps to, or undefined.
export function azureNameProblem(key: string): string | undefined {
  const name = azureSecretNameOf(key);
  if (VALID.test(name)) return undefined;
  const quoted = `Azure secret name ${JSON.stringify(name)}`;
  if (name === '') return 'the Azure secret name would be empty';
  if (name.length > MAX) return `${quoted} is ${name.length} characters; at most ${MAX} are allowed`;
  const bad = [...new Set([...name].filter((c) => !/[0-9a-zA-Z-]/.test(c)))];
  return `${quoted} has ${bad.map((c) => JSON.stringify(c)).join(', ')}; only 0-9, a-z, A-Z and - are allowed`;
}

// "<key>: <why>" for every key Key Vault cannot hold, including two keys that would share one secret
// (Key Vault names are case-insensitive and the mapping turns `.` into `-`).
export function invalidAzureNames(names: readonly string[]): string[] {
  const seen = new Map<string, string>();
  return names.flatMap((key) => {
    const why = azureNameProblem(key);
    if (why !== undefined) return [`${key}: ${why}`];
    const name = azureSecretNameOf(key);
    const other = seen.get(name.toLowerCase());
    if (other !== undefined && other !== key) {
      return [
        `${key}: maps to the same Azure secret as ${other} (${JSON.stringify(name)}; names are case-insensitive)`,
      ];
    }
    seen.set(name.toLowerCase(), key);
    return [];
  });
}
