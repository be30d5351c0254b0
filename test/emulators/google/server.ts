// Loopback Google endpoint serving, on one HTTPS port, exactly the calls our SDK clients make:
// Cloud KMS v1 REST :encrypt/:decrypt, and the GCS JSON API simple upload, media download, object
// metadata and bucket testIamPermissions. Every call needs a service-account JWT the emulator
// verifies; IAM is "everything allowed" unless a test denies a permission.
import { createPublicKey } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ApiFailure, sendGcsError, sendJson, sendKmsError } from './errors.ts';
import { crc32cBase64 } from './crc32c.ts';
import { createGcs, md5Base64, missingBucket, missingObject, objectResource, type GcsApi } from './gcs.ts';
import { restUpload } from './gcs-rest.ts';
import { verifyJwt, type ApiName, type TrustedAccount } from './jwt.ts';
import { createKms, type KmsApi } from './kms.ts';
import { restDecrypt, restEncrypt, type KmsFaults } from './kms-rest.ts';

export interface RequestRecord {
  method: string;
  path: string;
  api: ApiName | 'unknown';
  // The authenticated caller, when the token was accepted.
  email: string | undefined;
  status: number;
  // Why a token was refused (never sent to the client).
  refused: string | undefined;
}

// Switches a test flips at any time.
export interface GoogleFaults extends KmsFaults {
  // Every request is accepted and read, and never answered (close() still ends it at once).
  hang: boolean;
  // IAM refuses storage.objects.create/delete and cloudkms.cryptoKeyVersions.useToEncrypt (uploads and
  // :encrypt answer 403, testIamPermissions leaves them out); downloads, metadata and :decrypt still work.
  refuseWrites: boolean;
}

export interface GoogleEmulator {
  // https://127.0.0.1:<port> (http:// when started without TLS).
  url: string;
  kms: KmsApi;
  gcs: GcsApi;
  faults: GoogleFaults;
  addServiceAccount(email: string, publicKeyPem: string, keyId: string): void;
  // IAM stand-in: the permission (e.g. `storage.objects.create`) is refused for every caller.
  deny(permission: string): void;
  requests(): readonly RequestRecord[];
  // Requests held by faults.hang whose connection the client has not closed yet.
  hanging(): number;
  // Object upload requests received (authenticated or not).
  writes(): number;
  close(): Promise<void>;
}

export interface GoogleEmulatorOptions {
  tls?: { certPem: string; keyPem: string };
}

const AUTH_HELP =
  'Expected OAuth 2 access token, login cookie or other valid authentication credential. ' +
  'See https://developers.google.com/identity/sign-in/web/devconsole-project.';
const KMS_ROUTE = /^\/v1\/(.+):(encrypt|decrypt)$/;
const UPLOAD_ROUTE = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/;
const OBJECT_ROUTE = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/;
const TEST_PERMISSIONS_ROUTE = /^\/storage\/v1\/b\/([^/]+)\/iam\/testPermissions$/;
const KNOWN_STORAGE_PERMISSIONS = new Set([
  'storage.objects.create',
  'storage.objects.delete',
  'storage.objects.get',
  'storage.objects.list',
  'storage.objects.update',
  'storage.buckets.get',
]);

const WRITE_PERMISSIONS = new Set([
  'storage.objects.create',
  'storage.objects.delete',
  'cloudkms.cryptoKeyVersions.useToEncrypt',
]);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}

function jsonBody(body: Buffer): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body.toString('utf8') || '{}');
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ApiFailure('INVALID_ARGUMENT', 'Invalid JSON payload received.');
}

const segment = (s: string): string => decodeURIComponent(s);

export async function startGoogleEmulator(options: GoogleEmulatorOptions = {}): Promise<GoogleEmulator> {
  const kms = createKms();
  const gcs = createGcs();
  const accounts = new Map<string, TrustedAccount>();
  const denied = new Set<string>();
  const faults: GoogleFaults = {
    wrongPlaintextCrc32c: false,
    wrongCiphertextCrc32c: false,
    unverifiedPlaintextCrc32c: false,
    hang: false,
    refuseWrites: false,
  };
  const refused = (permission: string): boolean =>
    denied.has(permission) || (faults.refuseWrites && WRITE_PERMISSIONS.has(permission));
  const log: RequestRecord[] = [];
  let writes = 0;
  let hanging = 0;
  let baseUrl = '';

  // Authenticates the caller or throws Google's 401; then applies the denied permissions.
  function authorize(req: IncomingMessage, api: ApiName, record: RequestRecord): string {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !/^Bearer\s+\S/i.test(header)) {
      const message =
        api === 'cloudkms'
          ? `Request is missing required authentication credential. ${AUTH_HELP}`
          : 'Anonymous caller does not have access to the Google Cloud Storage object.';
      throw new ApiFailure('UNAUTHENTICATED', message, 'required');
    }
    const verdict = verifyJwt(header.replace(/^Bearer\s+/i, '').trim(), api, accounts);
    if ('refused' in verdict) {
      record.refused = verdict.refused;
      const message =
        api === 'cloudkms'
          ? `Request had invalid authentication credentials. ${AUTH_HELP}`
          : 'Invalid Credentials';
      throw new ApiFailure('UNAUTHENTICATED', message, 'authError');
    }
    record.email = verdict.email;
    return verdict.email;
  }

  function requirePermission(api: ApiName, email: string, permission: string, resource: string): void {
    if (!refused(permission)) return;
    const message =
      api === 'cloudkms'
        ? `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`
        : `${email} does not have ${permission} access to the Google Cloud Storage object. ` +
          `Permission '${permission}' denied on resource (or it may not exist).`;
    throw new ApiFailure('PERMISSION_DENIED', message, 'forbidden');
  }

  function kmsCall(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    body: Buffer,
    m: RegExpExecArray,
  ): void {
    const [, name = '', verb] = m;
    const email = authorize(req, 'cloudkms', record);
    const permission =
      verb === 'encrypt'
        ? 'cloudkms.cryptoKeyVersions.useToEncrypt'
        : 'cloudkms.cryptoKeyVersions.useToDecrypt';
    requirePermission('cloudkms', email, permission, name);
    const run = verb === 'encrypt' ? restEncrypt : restDecrypt;
    sendJson(res, 200, run(kms, name, jsonBody(body), faults));
  }

  function gcsCall(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    body: Buffer,
    url: URL,
  ): void {
    const path = url.pathname;
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && (m = UPLOAD_ROUTE.exec(path)) !== null) {
      writes += 1;
      const bucket = segment(m[1] ?? '');
      const email = authorize(req, 'storage', record);
      requirePermission('storage', email, 'storage.objects.create', bucket);
      if (!gcs.hasBucket(bucket)) throw missingBucket();
      const name = url.searchParams.get('name');
      // Replacing an existing object also needs the delete permission, as in GCS.
      if (name !== null && gcs.get(bucket, name) !== undefined) {
        requirePermission('storage', email, 'storage.objects.delete', bucket);
      }
      const obj = restUpload(gcs, bucket, url.searchParams, req.headers['content-type'] ?? '', body);
      sendJson(res, 200, objectResource(obj, baseUrl));
      return;
    }
    if (req.method === 'GET' && (m = OBJECT_ROUTE.exec(path)) !== null) {
      const bucket = segment(m[1] ?? '');
      const name = segment(m[2] ?? '');
      const email = authorize(req, 'storage', record);
      requirePermission('storage', email, 'storage.objects.get', bucket);
      if (!gcs.hasBucket(bucket)) throw missingBucket();
      const obj = gcs.get(bucket, name);
      if (obj === undefined) throw missingObject(bucket, name);
      if (url.searchParams.get('alt') !== 'media') {
        sendJson(res, 200, objectResource(obj, baseUrl));
        return;
      }
      res.writeHead(200, {
        'Content-Type': obj.contentType,
        'Content-Length': obj.data.length,
        'x-goog-hash': `crc32c=${crc32cBase64(obj.data)},md5=${md5Base64(obj.data)}`,
        'x-goog-generation': obj.generation,
        'x-goog-metageneration': obj.metageneration,
        'x-goog-stored-content-encoding': 'identity',
        'x-goog-stored-content-length': String(obj.data.length),
        'x-goog-storage-class': 'STANDARD',
      });
      res.end(obj.data);
      return;
    }
    if (req.method === 'GET' && (m = TEST_PERMISSIONS_ROUTE.exec(path)) !== null) {
      const bucket = segment(m[1] ?? '');
      authorize(req, 'storage', record);
      if (!gcs.hasBucket(bucket)) throw missingBucket();
      const asked = url.searchParams.getAll('permissions');
      const unknown = asked.find((p) => !KNOWN_STORAGE_PERMISSIONS.has(p));
      if (unknown !== undefined)
        throw new ApiFailure('INVALID_ARGUMENT', `Permission ${unknown} is not valid.`);
      const permissions = asked.filter((p) => !refused(p));
      sendJson(res, 200, {
        kind: 'storage#testIamPermissionsResponse',
        ...(permissions.length > 0 ? { permissions } : {}),
      });
      return;
    }
    throw new ApiFailure('NOT_FOUND', `Not Found: ${req.method ?? ''} ${path}`, 'notFound');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', baseUrl);
    const kmsMatch = req.method === 'POST' ? KMS_ROUTE.exec(url.pathname) : null;
    const api: RequestRecord['api'] =
      kmsMatch !== null ? 'cloudkms' : /storage\/v1\//.test(url.pathname) ? 'storage' : 'unknown';
    const record: RequestRecord = {
      method: req.method ?? '',
      path: url.pathname,
      api,
      email: undefined,
      status: 200,
      refused: undefined,
    };
    log.push(record);
    if (faults.hang) {
      hanging += 1;
      req.socket.once('close', () => (hanging -= 1));
      return;
    }
    try {
      if (kmsMatch !== null) kmsCall(req, res, record, body, kmsMatch);
      else gcsCall(req, res, record, body, url);
    } catch (err) {
      const failure = err instanceof ApiFailure ? err : new ApiFailure('UNIMPLEMENTED', String(err));
      record.status = failure.httpStatus;
      if (api === 'cloudkms') sendKmsError(res, failure);
      else sendGcsError(res, failure);
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch(() => res.destroy());
  };
  const server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    kms,
    gcs,
    faults,
    addServiceAccount(email, publicKeyPem, keyId) {
      accounts.set(email, { email, keyId, publicKey: createPublicKey(publicKeyPem) });
    },
    deny: (permission) => void denied.add(permission),
    requests: () => log,
    hanging: () => hanging,
    writes: () => writes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
