// The Key Vault secrets API (7.x data plane) as the @azure/keyvault-secrets SDK uses it: challenge-based
// bearer auth (401 + WWW-Authenticate), PUT /secrets/{name} creating a new version, GET of the latest or a
// given version, and Key Vault's {"error":{"code","message"}} bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, readBody, sendJson } from './http.ts';
import type { AzureState, SecretVersion } from './state.ts';

export const VAULT_RESOURCE = 'https://vault.azure.net';
const VALID_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const SECRET_PATH = /^\/secrets\/([^/]+)(?:\/([^/]*))?$/;

function kvError(res: ServerResponse, status: number, code: string, message: string, headers = {}): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

export interface KeyVaultContext {
  state: AzureState;
  // Base URL of the vault (ids are built from it) and of the authority named in the challenge.
  vaultUrl: string;
  authorityHost: string;
}

// Every 401 carries the challenge, so a client that lost its token can start over.
function unauthorized(ctx: KeyVaultContext, res: ServerResponse, message: string): void {
  const challenge = `Bearer authorization="${ctx.authorityHost}/${ctx.state.tenantId}", resource="${VAULT_RESOURCE}"`;
  kvError(res, 401, 'Unauthorized', message, { 'WWW-Authenticate': challenge });
}

// The app id behind a valid vault token, or undefined after answering 401.
function authenticate(ctx: KeyVaultContext, req: IncomingMessage, res: ServerResponse): string | undefined {
  const token = bearerToken(req);
  if (token === undefined) {
    unauthorized(ctx, res, 'AKV10000: Request is missing a Bearer or PoP token.');
    return undefined;
  }
  const issued = ctx.state.tokens.get(token);
  if (issued === undefined) {
    unauthorized(ctx, res, 'AKV10013: Invalid token: the token was not issued by the expected authority.');
    return undefined;
  }
  if (issued.audience !== VAULT_RESOURCE) {
    unauthorized(
      ctx,
      res,
      `AKV10022: Invalid audience. Expected ${VAULT_RESOURCE}, found: ${issued.audience}.`,
    );
    return undefined;
  }
  return issued.clientId;
}

function bundle(ctx: KeyVaultContext, name: string, v: SecretVersion): Record<string, unknown> {
  return {
    value: v.value,
    ...(v.contentType === undefined ? {} : { contentType: v.contentType }),
    id: `${ctx.vaultUrl}/secrets/${name}/${v.version}`,
    attributes: {
      enabled: true,
      created: v.created,
      updated: v.updated,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: 90,
    },
    tags: {},
  };
}

function allowed(
  ctx: KeyVaultContext,
  res: ServerResponse,
  clientId: string,
  permission: 'get' | 'set',
): boolean {
  const refused = permission === 'set' && ctx.state.faults.refuseWrites;
  if (!refused && ctx.state.apps.get(clientId)?.permissions.has(permission) === true) return true;
  kvError(
    res,
    403,
    'Forbidden',
    `The user, group or application 'appid=${clientId};iss=https://sts.windows.net/${ctx.state.tenantId}/' does not have secrets ${permission} permission on key vault '${new URL(ctx.vaultUrl).host}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
  );
  return false;
}

async function putSecret(ctx: KeyVaultContext, req: IncomingMessage, res: ServerResponse, name: string) {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(await readBody(req)) as Record<string, unknown>;
  } catch {
    return kvError(res, 400, 'BadParameter', 'The request body is not valid JSON.');
  }
  if (typeof body['value'] !== 'string') {
    return kvError(res, 400, 'BadParameter', "Property 'value' is required and must be a string.");
  }
  const contentType = typeof body['contentType'] === 'string' ? body['contentType'] : undefined;
  const v = ctx.state.put(name, body['value'], contentType);
  ctx.state.writes++;
  sendJson(res, 200, bundle(ctx, ctx.state.secrets.get(name.toLowerCase())?.name ?? name, v));
}

function getSecret(ctx: KeyVaultContext, res: ServerResponse, name: string, version: string): void {
  const v = version === '' ? ctx.state.latest(name) : ctx.state.version(name, version);
  if (v === undefined) {
    const id = version === '' ? name : `${name}/${version}`;
    return kvError(
      res,
      404,
      'SecretNotFound',
      `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    );
  }
  sendJson(res, 200, bundle(ctx, ctx.state.secrets.get(name.toLowerCase())?.name ?? name, v));
}

// Handles the request if it is a /secrets path; returns false otherwise.
export async function handleKeyVault(
  ctx: KeyVaultContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const m = SECRET_PATH.exec(url.pathname);
  if (m === null) return false;
  const clientId = authenticate(ctx, req, res);
  if (clientId === undefined) return true;
  if (!url.searchParams.has('api-version')) {
    kvError(res, 400, 'BadParameter', 'The request URI contains an invalid api-version, or none was given.');
    return true;
  }
  const name = decodeURIComponent(m[1] ?? '');
  const version = decodeURIComponent(m[2] ?? '');
  if (!VALID_NAME.test(name)) {
    kvError(res, 400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
    return true;
  }
  if (req.method === 'PUT' && m[2] === undefined) {
    if (allowed(ctx, res, clientId, 'set')) await putSecret(ctx, req, res, name);
  } else if (req.method === 'GET') {
    if (allowed(ctx, res, clientId, 'get')) getSecret(ctx, res, name, version);
  } else {
    kvError(res, 405, 'BadParameter', `The requested method ${req.method ?? ''} is not allowed here.`);
  }
  return true;
}
