// Cloud Storage object naming rules ("Object names" in the GCS documentation), applied to the key names (the
// unsealer stores each key as an object named exactly as the key) before any request.
const MAX_BYTES = 1024;
const ACME = '.well-known/acme-challenge/';

// Why GCS would refuse this object name, or undefined.
export function gcsNameProblem(name: string): string | undefined {
  if (name === '') return 'GCS object names cannot be empty';
  if (!name.isWellFormed()) return 'the name is not valid Unicode, so it has no UTF-8 form';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_BYTES)
    return `GCS object names are at most ${MAX_BYTES} bytes of UTF-8; this one is ${bytes}`;
  if (/[\r\n]/.test(name)) return 'GCS object names cannot contain a carriage return or line feed';
  if (name === '.' || name === '..') return `GCS object names cannot be ${JSON.stringify(name)}`;
  if (name.startsWith(ACME)) return `GCS object names cannot begin with ${JSON.stringify(ACME)}`;
  return undefined;
}

// "<key>: <why>" for every key GCS cannot hold as an object name.
export function invalidGcsNames(names: readonly string[]): string[] {
  return names.flatMap((name) => {
    const why = gcsNameProblem(name);
    return why === undefined ? [] : [`${name}: ${why}`];
  });
}
