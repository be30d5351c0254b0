// Client settings for the awsKmsSsm store, derived only from the AppBinding spec, the credential
// secret and the given environment: nothing is read from or written to process.env by us.
import { TaskError } from '../errors.ts';
import { registerSecret } from '../secrets.ts';
import { cloudDeadlines, sdkTimeoutMs, type CloudDeadlines } from './cloud-call.ts';
import { specString } from './cloud.ts';

export interface AwsStaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

// What both SDK clients share; the endpoint differs per service.
export interface AwsCommonConfig {
  region?: string;
  credentials?: AwsStaticCredentials;
  // 1: attempts, backoff and the total bound are boundedCall's (cloud-call.ts).
  maxAttempts: 1;
  requestHandler: { connectionTimeout: number; requestTimeout: number };
  ignoreConfiguredEndpointUrls: true;
}

export interface AwsClientSettings {
  common: AwsCommonConfig;
  kmsEndpoint: string | undefined;
  ssmEndpoint: string | undefined;
}

const MODE = 'awsKmsSsm';

// KubeVault's `endpoint` is documented as a KMS VPC endpoint, often written as a bare host name.
function endpointUrl(value: string, origin: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  try {
    return new URL(url).toString();
  } catch {
    throw new TaskError('config', `unsealer mode ${MODE}: ${origin} is not a valid URL`);
  }
}

// The access/secret key pair from the credential secret. Values are trimmed because secrets are
// often made with `echo` and a trailing newline would only fail later as a bad signature.
function staticCredentials(data: Record<string, Buffer>): AwsStaticCredentials {
  const read = (key: string): string => data[key]?.toString('utf8').trim() ?? '';
  const accessKeyId = read('access_key');
  const secretAccessKey = read('secret_key');
  const missing = [accessKeyId === '' && 'access_key', secretAccessKey === '' && 'secret_key'].filter(
    (k): k is string => k !== false,
  );
  if (missing.length > 0) {
    throw new TaskError('config', `unsealer mode ${MODE}: credential secret has no ${missing.join(', ')}`);
  }
  registerSecret(secretAccessKey);
  return { accessKeyId, secretAccessKey };
}

// Endpoints follow the SDK's own precedence (service-specific env, then AWS_ENDPOINT_URL), but are
// read from the given env and passed explicitly; spec.endpoint wins for KMS as KubeVault documents it.
export function awsClientSettings(
  spec: Record<string, unknown>,
  credentials: Record<string, Buffer> | undefined,
  env: NodeJS.ProcessEnv,
  deadlines: CloudDeadlines = cloudDeadlines(),
): AwsClientSettings {
  const fromEnv = (name: string): string | undefined => {
    const own = env[name] ?? '';
    const generic = env['AWS_ENDPOINT_URL'] ?? '';
    if (own !== '') return endpointUrl(own, name);
    return generic === '' ? undefined : endpointUrl(generic, 'AWS_ENDPOINT_URL');
  };
  const specEndpoint = specString(spec, 'endpoint');
  const region = specString(spec, 'region') || env['AWS_REGION'] || undefined;
  return {
    common: {
      ...(region === undefined ? {} : { region }),
      ...(credentials === undefined ? {} : { credentials: staticCredentials(credentials) }),
      // The socket-level bounds back up the per-attempt abort of boundedCall.
      maxAttempts: 1,
      requestHandler: { connectionTimeout: sdkTimeoutMs(deadlines), requestTimeout: sdkTimeoutMs(deadlines) },
      ignoreConfiguredEndpointUrls: true,
    },
    kmsEndpoint:
      specEndpoint !== '' ? endpointUrl(specEndpoint, 'endpoint') : fromEnv('AWS_ENDPOINT_URL_KMS'),
    ssmEndpoint: fromEnv('AWS_ENDPOINT_URL_SSM'),
  };
}
