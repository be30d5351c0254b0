// The Entra ID (Azure AD) endpoints MSAL Node uses for the client-credentials flow once instance discovery
// is off: the tenant's OpenID metadata, then POST /<tenant>/oauth2/v2.0/token. Errors carry the real
// AADSTS codes and wording, so the store's error text is checked against what Azure actually says.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from './http.ts';
import type { AzureState } from './state.ts';

const METADATA = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/;
const TOKEN = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;

function aadError(res: ServerResponse, status: number, error: string, code: number, text: string): void {
  const trace = randomUUID();
  const correlation = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  sendJson(res, status, {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

function tenantNotFound(res: ServerResponse, tenant: string): void {
  aadError(
    res,
    400,
    'invalid_request',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  );
}

function metadata(base: string, tenant: string): Record<string, unknown> {
  const t = `${base}/${tenant}`;
  return {
    token_endpoint: `${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${t}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${t}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'ver'],
    kerberos_endpoint: `${t}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}

// Client credentials with a shared secret (client_secret_post); other grants are refused.
async function token(state: AzureState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  state.tokenRequests++;
  const form = new URLSearchParams(await readBody(req));
  const clientId = form.get('client_id') ?? '';
  if (form.get('grant_type') !== 'client_credentials') {
    return aadError(
      res,
      400,
      'unsupported_grant_type',
      70003,
      'The app requested an unsupported grant type.',
    );
  }
  const app = state.apps.get(clientId);
  if (app === undefined) {
    return aadError(
      res,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${state.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  if (form.get('client_secret') !== app.clientSecret) {
    return aadError(
      res,
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    );
  }
  const scope = form.get('scope') ?? '';
  const resource = scope.split(' ').find((s) => s.endsWith('/.default'));
  if (resource === undefined) {
    return aadError(
      res,
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const accessToken = state.issueToken({
    clientId,
    tenantId: state.tenantId,
    audience: resource.slice(0, -'/.default'.length),
  });
  sendJson(res, 200, {
    token_type: 'Bearer',
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: accessToken,
  });
}

// Handles the request if it is an Entra ID path; returns false otherwise.
export async function handleEntra(
  state: AzureState,
  base: string,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const meta = METADATA.exec(path);
  if (meta !== null && req.method === 'GET') {
    const tenant = decodeURIComponent(meta[1] ?? '');
    if (tenant !== state.tenantId) tenantNotFound(res, tenant);
    else sendJson(res, 200, metadata(base, tenant));
    return true;
  }
  const tok = TOKEN.exec(path);
  if (tok !== null && req.method === 'POST') {
    const tenant = decodeURIComponent(tok[1] ?? '');
    if (tenant !== state.tenantId) tenantNotFound(res, tenant);
    else await token(state, req, res);
    return true;
  }
  return false;
}
