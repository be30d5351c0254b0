// The two SDK clients of the googleKmsGcs store, built only from the credential secret and the given
// environment: the service-account key goes to the clients as an object, never to a file or to
// process.env (the Go addon writes a temp file and sets GOOGLE_APPLICATION_CREDENTIALS; restic
// would inherit that).
import { createPrivateKey } from 'node:crypto';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import { Storage } from '@google-cloud/storage';
import { TaskError } from '../errors.ts';
import { registerSecret } from '../secrets.ts';
import { sdkTimeoutMs, type CloudDeadlines } from './cloud-call.ts';
import { abortableFetch } from './google-signal.ts';

export const MODE = 'googleKmsGcs';
// Endpoint overrides (tests, Private Service Connect). STORAGE_EMULATOR_HOST is the Storage SDK's
// own name; the KMS SDK has none, so GOOGLE_KMS_ENDPOINT is ours.
export const STORAGE_ENDPOINT_ENV = 'STORAGE_EMULATOR_HOST';
export const KMS_ENDPOINT_ENV = 'GOOGLE_KMS_ENDPOINT';
const DEFAULT_STORAGE_ENDPOINT = 'https://storage.googleapis.com';

// The fields of a `gcloud iam service-accounts keys create` file the SDKs need.
export interface ServiceAccountKey {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

export interface KmsEndpoint {
  apiEndpoint: string;
  port: number;
  protocol: 'http' | 'https';
}

export interface GoogleEndpoints {
  storage: string;
  kms: KmsEndpoint | undefined;
}

export interface GoogleClients {
  kms: KeyManagementServiceClient;
  storage: Storage;
}

const configError = (what: string): TaskError => new TaskError('config', `unsealer mode ${MODE}: ${what}`);

// Parses `sa.json` from the credential secret. Nothing of its content goes into an error message
// (V8's JSON.parse errors quote the input, so they are not passed on either).
export function serviceAccountKey(data: Record<string, Buffer>): ServiceAccountKey {
  const raw = data['sa.json'];
  if (raw === undefined || raw.toString('utf8').trim() === '') {
    throw configError('credential secret has no sa.json');
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw configError('sa.json in the credential secret is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw configError('sa.json in the credential secret is not a JSON object');
  }
  const o = json as Record<string, unknown>;
  const text = (field: string): string | undefined => {
    const v = o[field];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const type = text('type');
  if (type !== undefined && type !== 'service_account') {
    throw configError(`sa.json has type ${JSON.stringify(type)}; only service_account keys are supported`);
  }
  const clientEmail = text('client_email');
  const privateKey = text('private_key');
  const missing = [clientEmail === undefined && 'client_email', privateKey === undefined && 'private_key'];
  if (clientEmail === undefined || privateKey === undefined) {
    throw configError(`sa.json has no ${missing.filter((m) => m !== false).join(', ')}`);
  }
  registerSecret(privateKey);
  // The form it takes inside JSON text (escaped newlines), should any library quote it.
  registerSecret(JSON.stringify(privateKey).slice(1, -1));
  try {
    createPrivateKey(privateKey);
  } catch {
    throw configError('sa.json private_key is not a PEM private key');
  }
  const keyId = text('private_key_id');
  const tokenUri = text('token_uri');
  return {
    type: 'service_account',
    client_email: clientEmail,
    private_key: privateKey,
    ...(keyId === undefined ? {} : { private_key_id: keyId }),
    ...(tokenUri === undefined ? {} : { token_uri: tokenUri }),
  };
}

// `host`, `host:port` or `http(s)://host[:port]`; a bare host means HTTPS.
function endpointUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`);
  } catch {
    throw configError(`${name} is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw configError(`${name} must be an http(s) URL`);
  if (url.username !== '' || url.password !== '') throw configError(`${name} must not contain credentials`);
  return url;
}

export function googleEndpoints(env: NodeJS.ProcessEnv): GoogleEndpoints {
  const storageValue = env[STORAGE_ENDPOINT_ENV];
  const kmsValue = env[KMS_ENDPOINT_ENV];
  let storage = DEFAULT_STORAGE_ENDPOINT;
  if (storageValue !== undefined && storageValue !== '') {
    const url = endpointUrl(STORAGE_ENDPOINT_ENV, storageValue);
    storage = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  }
  let kms: KmsEndpoint | undefined;
  if (kmsValue !== undefined && kmsValue !== '') {
    const url = endpointUrl(KMS_ENDPOINT_ENV, kmsValue);
    if (url.pathname !== '/' || url.search !== '')
      throw configError(`${KMS_ENDPOINT_ENV} must not have a path`);
    const protocol = url.protocol === 'http:' ? 'http' : 'https';
    kms = {
      apiEndpoint: url.hostname,
      port: url.port !== '' ? Number(url.port) : protocol === 'http' ? 80 : 443,
      protocol,
    };
  }
  return { storage, kms };
}

// Without a key the SDKs use Application Default Credentials (workload identity on GKE).
export function openGoogleClients(
  key: ServiceAccountKey | undefined,
  endpoints: GoogleEndpoints,
  deadlines: CloudDeadlines,
): GoogleClients {
  const credentials = key === undefined ? {} : { credentials: key };
  // The REST transport (HTTP/1.1 + JSON) rather than gRPC: two tiny calls gain nothing from gRPC,
  // and it is the transport the emulator tests exercise. Retries and deadlines are ours (cloud-call.ts).
  const kms = new KeyManagementServiceClient({
    fallback: true,
    ...credentials,
    ...(endpoints.kms === undefined ? {} : endpoints.kms),
  });
  // The constructor starts a long-running-operations stub we never use; when no credentials are
  // found its rejection goes unobserved, an unhandledRejection that would end the task. Observe it;
  // our own calls still report the failure.
  kms.operationsClient.operationsStub.catch(() => undefined);
  abortableFetch(kms.auth);
  const storage = new Storage({
    apiEndpoint: endpoints.storage,
    // The SDK skips authentication for any non-default endpoint unless told otherwise.
    useAuthWithCustomEndpoint: true,
    ...credentials,
    // This SDK takes no AbortSignal: its own timeout ends a request boundedCall gave up on.
    timeout: sdkTimeoutMs(deadlines),
    // Off: a retried media download emits an uncaught ERR_STREAM_UNABLE_TO_PIPE (teeny-request).
    retryOptions: { autoRetry: false },
  });
  // The SDK derives its request base from process.env.STORAGE_EMULATOR_HOST (without the
  // /storage/v1 path); use the endpoint we were given instead.
  storage.baseUrl = `${endpoints.storage}/storage/v1`;
  // Sign our own JWT per request, as the KMS client (and Go's storage client) do, instead of
  // exchanging it at the OAuth token endpoint (which this SDK version hard-codes, ignoring token_uri).
  storage.authClient.useJWTAccessWithScope = true;
  return { kms, storage };
}
