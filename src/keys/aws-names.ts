// SSM Parameter Store naming rules (PutParameter `Name` in the SSM API reference), applied to the full
// parameter name `ssmKeyPrefix + key` before any request, so a bad prefix fails as configuration up front.

// The documented limit counts the parameter's ARN prefix (`arn:aws:ssm:<region>:<account>:parameter`) too.
const MAX_WITH_ARN = 1011;
const ACCOUNT_ID_LENGTH = 12;
const MAX_DEPTH = 15;
const ALLOWED = /^[a-zA-Z0-9_.\-/]$/;

// The AWS partition of a region, which appears in the ARN and so counts against the name length.
function partition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

// How many characters a parameter name may have in the region (the account id is always 12 digits).
export function maxSsmNameLength(region: string, name: string): number {
  const arn = `arn:${partition(region)}:ssm:${region}:${'0'.repeat(ACCOUNT_ID_LENGTH)}:parameter`;
  return MAX_WITH_ARN - arn.length - (name.startsWith('/') ? 0 : 1);
}

// Why SSM would refuse this full parameter name, or undefined.
export function ssmNameProblem(full: string, region: string): string | undefined {
  const quoted = `SSM parameter name ${JSON.stringify(full)}`;
  if (full === '') return 'the SSM parameter name would be empty';
  const bad = [...new Set([...full].filter((c) => !ALLOWED.test(c)))];
  if (bad.length > 0) {
    return `${quoted} has ${bad.map((c) => JSON.stringify(c)).join(', ')}; only a-z, A-Z, 0-9, _ . - and / are allowed`;
  }
  const max = maxSsmNameLength(region, full);
  if (full.length > max) {
    return `SSM parameter name is ${full.length} characters; at most ${max} fit in region ${region} (${MAX_WITH_ARN} including the parameter ARN)`;
  }
  const first = full.replace(/^\//, '').slice(0, 3);
  if (/^(aws|ssm)$/i.test(first)) {
    return `${quoted} begins with ${JSON.stringify(first)}; names beginning with aws or ssm (any case) are reserved`;
  }
  if (full.includes('/') && !full.startsWith('/')) {
    return `${quoted} contains / but does not begin with it; a hierarchical name must be fully qualified`;
  }
  if (full.slice(1).split('/').includes('')) return `${quoted} has an empty path segment`;
  const depth = full.split('/').length - 1;
  if (depth > MAX_DEPTH) return `${quoted} is ${depth} levels deep; at most ${MAX_DEPTH} are allowed`;
  return undefined;
}

// "<key>: <why>" for every key whose parameter name `prefix + key` SSM would refuse.
export function invalidSsmNames(names: readonly string[], prefix: string, region: string): string[] {
  return names.flatMap((name) => {
    const why = ssmNameProblem(prefix + name, region);
    return why === undefined ? [] : [`${name}: ${why}`];
  });
}
