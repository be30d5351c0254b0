// How the azureKeyVault store authenticates: which Entra ID authority (spec.cloud, or AZURE_AUTHORITY_HOST
// from the task environment), which credential (client secret from credentialSecretRef, managed identity,
// or the SDK's default chain for workload identity), and the HTTP options both SDK clients share.
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { getCACertificates } from 'node:tls';
import {
  AzureAuthorityHosts,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import type { SecretClientOptions } from '@azure/keyvault-secrets';
import { TaskError } from '../errors.ts';
import { registerSecret } from '../secrets.ts';
import { cloudDeadlines, sdkTimeoutMs, type CloudDeadlines } from './cloud-call.ts';
import { credentialSecretName, specString, type CloudStoreOptions } from './cloud.ts';

const MODE = 'azureKeyVault';

// go-autorest environment names (matched case-insensitively, as azure.EnvironmentFromName does).
const CLOUDS: Record<string, string> = {
  AZUREPUBLICCLOUD: AzureAuthorityHosts.AzurePublicCloud,
  AZURECHINACLOUD: AzureAuthorityHosts.AzureChina,
  AZUREUSGOVERNMENTCLOUD: AzureAuthorityHosts.AzureGovernment,
  AZUREGERMANCLOUD: AzureAuthorityHosts.AzureGermany,
};
const KNOWN_AUTHORITIES = new Set(Object.values(CLOUDS));

type PipelinePolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number]['policy'];

export interface AzureAuth {
  credential: TokenCredential;
  // What the credential authenticates as, for error messages (never a secret).
  who: string;
  authorityHost: string;
  // Pipeline options for SecretClient; the credential was built with the same ones.
  clientOptions: SecretClientOptions;
  // Only the client-secret path owns a keep-alive agent; close() destroys it.
  agent: Agent | undefined;
}

// Bounds each request with its own abort signal, not `request.timeout`: the SDK's HTTP client leaves that
// timer running when the connection fails, which kept the process alive for the whole timeout. A backstop:
// every Key Vault call already carries boundedCall's per-attempt signal, which reaches the token requests
// too, but MSAL's own network calls might not pass it on.
const timeoutPolicy = (ms: number): PipelinePolicy => ({
  name: 'stashVaultRequestTimeout',
  sendRequest: async (request, next) => {
    const original = request.abortSignal;
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    const timer = setTimeout(abort, ms);
    if (original?.aborted === true) abort();
    else original?.addEventListener('abort', abort);
    request.abortSignal = controller.signal;
    try {
      return await next(request);
    } finally {
      clearTimeout(timer);
      original?.removeEventListener('abort', abort);
      if (original === undefined) delete request.abortSignal;
      else request.abortSignal = original;
    }
  },
});

// No SDK retries: attempts, backoff and the total bound are boundedCall's (cloud-call.ts).
const failFast = (d: CloudDeadlines) => ({
  retryOptions: { maxRetries: 0 },
  additionalPolicies: [{ policy: timeoutPolicy(sdkTimeoutMs(d)), position: 'perRetry' as const }],
});

// The Entra ID authority: AZURE_AUTHORITY_HOST from the task environment, else the one of spec.cloud.
export function azureAuthorityHost(spec: Record<string, unknown>, env: NodeJS.ProcessEnv): string {
  const override = env['AZURE_AUTHORITY_HOST'] ?? '';
  if (override !== '') {
    if (!override.startsWith('https://')) {
      throw new TaskError('config', `${MODE}: AZURE_AUTHORITY_HOST must be an https:// URL`);
    }
    return override.replace(/\/+$/, '');
  }
  const cloud = specString(spec, 'cloud');
  const host = CLOUDS[(cloud === '' ? 'AZUREPUBLICCLOUD' : cloud).toUpperCase()];
  if (host === undefined) {
    throw new TaskError(
      'config',
      `${MODE}: unknown cloud ${JSON.stringify(cloud)}; expected one of ${Object.keys(CLOUDS).join(', ')}`,
    );
  }
  return host;
}

// Node reads NODE_EXTRA_CA_CERTS only at start-up from its own environment; honouring it from the task
// environment too keeps one trust rule whether the store runs in the CLI or in-process (tests).
async function trustedCas(env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  const file = env['NODE_EXTRA_CA_CERTS'] ?? '';
  if (file === '') return undefined;
  try {
    return [...getCACertificates('default'), await readFile(file, 'utf8')];
  } catch (err) {
    throw new TaskError('config', `${MODE}: cannot read NODE_EXTRA_CA_CERTS file ${file}`, { cause: err });
  }
}

function credentialValue(opts: CloudStoreOptions, key: string): string {
  // Secrets made with `echo … | kubectl create secret --from-file` end in a newline no Azure id contains.
  return opts.credentials?.[key]?.toString('utf8').trim() ?? '';
}

async function clientSecretCredential(
  opts: CloudStoreOptions,
  tenantId: string,
  host: string,
): Promise<AzureAuth> {
  const clientId = credentialValue(opts, 'client-id');
  const clientSecret = credentialValue(opts, 'client-secret');
  const missing = [clientId === '' && 'client-id', clientSecret === '' && 'client-secret'].filter(Boolean);
  if (missing.length > 0) {
    const name = credentialSecretName(opts.spec) ?? '(unnamed)';
    throw new TaskError(
      'config',
      `${MODE}: credential secret ${opts.namespace}/${name} has no ${missing.join(', ')}`,
    );
  }
  registerSecret(clientSecret);
  const ca = await trustedCas(opts.env);
  const agent = new Agent({ keepAlive: true, ...(ca === undefined ? {} : { ca }) });
  const clientOptions = { agent, ...failFast(cloudDeadlines(opts.deadlines)) };
  const credential = new ClientSecretCredential(tenantId, clientId, clientSecret, {
    ...clientOptions,
    authorityHost: host,
    // Instance discovery asks login.microsoftonline.com about the authority; skip it for hosts it cannot know.
    disableInstanceDiscovery: !KNOWN_AUTHORITIES.has(host),
  });
  return { credential, who: `client ${clientId}`, authorityHost: host, clientOptions, agent };
}

function flag(spec: Record<string, unknown>, ...fields: string[]): boolean {
  return fields.some((f) => spec[f] === true || spec[f] === 'true');
}

export async function azureAuth(opts: CloudStoreOptions, tenantId: string): Promise<AzureAuth> {
  const { spec, env } = opts;
  const host = azureAuthorityHost(spec, env);
  if (opts.credentials !== undefined) return clientSecretCredential(opts, tenantId, host);
  // v1alpha2 tlsSecretRef / v1alpha1 clientCertSecret hold a PKCS#12 file; the identity SDK takes only PEM
  // and Node cannot unpack PKCS#12 without openssl, which the image does not ship.
  if (spec['tlsSecretRef'] !== undefined || specString(spec, 'clientCertSecret') !== '') {
    throw new TaskError(
      'config',
      `${MODE}: client-certificate authentication (tlsSecretRef) is not supported; use credentialSecretRef (client-id, client-secret), useManagedIdentity or workload identity`,
    );
  }
  // The ambient credentials talk to IMDS over plain HTTP, so they get CA settings, never the https agent.
  const ca = await trustedCas(env);
  const clientOptions = {
    ...(ca === undefined ? {} : { tlsOptions: { ca } }),
    ...failFast(cloudDeadlines(opts.deadlines)),
  };
  if (flag(spec, 'useManagedIdentity', 'useManageIdentity')) {
    const credential = new ManagedIdentityCredential(clientOptions);
    return { credential, who: 'managed identity', authorityHost: host, clientOptions, agent: undefined };
  }
  // Workload identity: the webhook-injected AZURE_CLIENT_ID / AZURE_FEDERATED_TOKEN_FILE, read by the SDK.
  const credential = new DefaultAzureCredential({
    ...clientOptions,
    tenantId,
    authorityHost: host,
    disableInstanceDiscovery: !KNOWN_AUTHORITIES.has(host),
  });
  return { credential, who: 'ambient credentials', authorityHost: host, clientOptions, agent: undefined };
}
