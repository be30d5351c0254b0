// Loopback AWS endpoint speaking the JSON 1.1 protocol for KMS and SSM on one port: POST / with
// Content-Type application/x-amz-json-1.1 and X-Amz-Target, SigV4-authenticated, errors as
// {"__type","message"} plus x-amzn-ErrorType, like AWS.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsFault } from './fault.ts';
import { ACCOUNT, createKms, type KmsApi } from './kms.ts';
import { kmsOperations, ssmOperations, type Operation } from './operations.ts';
import { verifySigV4 } from './sigv4.ts';
import { createSsm, type SsmApi } from './ssm.ts';

const JSON_11 = 'application/x-amz-json-1.1';

export interface RequestRecord {
  target: string;
  accessKey: string | undefined;
  status: number;
  errorType: string | undefined;
}

// Switches a test flips at any time.
export interface AwsFaults {
  // Every request is accepted and read, and never answered (close() still ends it at once).
  hang: boolean;
  // IAM refuses kms:Encrypt (DryRun included) and ssm:PutParameter with AccessDeniedException; reads
  // (GetParameter(s), Decrypt) still work.
  refuseWrites: boolean;
}

export interface AwsEmulator {
  url: string;
  region: string;
  kms: KmsApi;
  ssm: SsmApi;
  faults: AwsFaults;
  addAccessKey(accessKey: string, secret: string): void;
  // IAM stand-in: the action (e.g. `kms:Decrypt`) is refused with AccessDeniedException for everyone.
  deny(action: string): void;
  requests(): readonly RequestRecord[];
  // PutParameter calls that passed authentication.
  writes(): number;
  close(): Promise<void>;
}

interface Route {
  service: 'kms' | 'ssm';
  action: string;
  op: Operation;
}

const WRITE_ACTIONS = new Set(['kms:Encrypt', 'ssm:PutParameter']);

// What the AWS front end answers a POST whose Content-Type is not a JSON protocol it serves: 404 and an XML
// body, no Content-Type (captured from DynamoDB and Kinesis by dynalite/kinesalite; the same Coral front end
// serves KMS and SSM). Its legacy application/json dialect is not emulated: it is refused the same way.
function sendUnknownOperation(res: ServerResponse): void {
  const text = '<UnknownOperationException/>\n';
  res.writeHead(404, { 'Content-Length': Buffer.byteLength(text), 'x-amzn-RequestId': randomUUID() });
  res.end(text);
}

const mediaType = (v: string | undefined): string => (v ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': JSON_11,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...(errorType === undefined ? {} : { 'x-amzn-ErrorType': errorType }),
  });
  res.end(text);
}

export async function startAwsEmulator(region = 'us-east-1'): Promise<AwsEmulator> {
  const kms = createKms(region);
  const ssm = createSsm(region);
  const secrets = new Map<string, string>();
  const denied = new Set<string>();
  const faults: AwsFaults = { hang: false, refuseWrites: false };
  const log: RequestRecord[] = [];
  let writes = 0;

  const routes = new Map<string, Route>();
  for (const [target, op] of Object.entries(kmsOperations(kms))) {
    routes.set(target, { service: 'kms', action: `kms:${target.split('.')[1] ?? ''}`, op });
  }
  for (const [target, op] of Object.entries(ssmOperations(ssm, () => (writes += 1)))) {
    routes.set(target, { service: 'ssm', action: `ssm:${target.split('.')[1] ?? ''}`, op });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : '';
    const record: RequestRecord = { target, accessKey: undefined, status: 200, errorType: undefined };
    log.push(record);
    if (faults.hang) return;
    if (req.method === 'POST' && mediaType(req.headers['content-type']) !== JSON_11) {
      record.status = 404;
      record.errorType = 'UnknownOperationException';
      sendUnknownOperation(res);
      return;
    }
    try {
      const route = routes.get(target);
      if (req.method !== 'POST' || req.url !== '/' || route === undefined) {
        throw new AwsFault('UnknownOperationException', '');
      }
      const signed = { method: req.method, url: req.url, headers: req.headers, body };
      record.accessKey = verifySigV4(signed, secrets, { region, service: route.service });
      if (denied.has(route.action) || (faults.refuseWrites && WRITE_ACTIONS.has(route.action))) {
        throw new AwsFault(
          'AccessDeniedException',
          `User: arn:aws:iam::${ACCOUNT}:user/vault-unsealer is not authorized to perform: ${route.action} because no identity-based policy allows the ${route.action} action`,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        throw new AwsFault('SerializationException', 'Start of structure or map found where not expected.');
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new AwsFault('SerializationException', 'Start of structure or map found where not expected.');
      }
      send(res, 200, route.op(parsed as Record<string, unknown>));
    } catch (err) {
      const fault = err instanceof AwsFault ? err : new AwsFault('InternalFailure', String(err), 500);
      record.status = fault.status;
      record.errorType = fault.type;
      const out: Record<string, unknown> = { __type: fault.type };
      if (fault.message !== '') out['message'] = fault.message;
      send(res, fault.status, out, fault.type);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    region,
    kms,
    ssm,
    faults,
    addAccessKey: (accessKey, secret) => secrets.set(accessKey, secret),
    deny: (action) => denied.add(action),
    requests: () => log,
    writes: () => writes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
