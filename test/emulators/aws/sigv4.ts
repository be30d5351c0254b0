// Server-side AWS Signature Version 4 check, as AWS front ends do it: parse the Authorization header,
// look up the access key, rebuild the canonical request and string-to-sign, recompute the HMAC with
// the known secret and compare. Codes and messages are the ones AWS JSON services return.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AwsFault } from './fault.ts';

export interface SignedRequest {
  method: string;
  // Path and query exactly as received, e.g. `/`.
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SigningScope {
  region: string;
  service: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
// AWS rejects requests whose X-Amz-Date is more than 15 minutes away from its clock.
const MAX_SKEW_MS = 15 * 60 * 1000;

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

// Path segments are URI-encoded once more for non-S3 services; `/` stays as is.
function canonicalPath(path: string): string {
  if (path === '') return '/';
  return path
    .split('/')
    .map((s) =>
      encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

function canonicalQuery(query: string): string {
  const params = new URLSearchParams(query);
  const enc = (s: string): string =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [...params.entries()]
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

interface ParsedAuth {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(auth: string): ParsedAuth {
  if (!auth.startsWith(`${ALGORITHM} `)) {
    throw new AwsFault(
      'IncompleteSignatureException',
      `Unsupported AWS 'algorithm': '${auth.split(' ')[0] ?? ''}'`,
    );
  }
  const fields = new Map<string, string>();
  for (const part of auth.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw new AwsFault(
      'IncompleteSignatureException',
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.`,
    );
  }
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') {
    throw new AwsFault('IncompleteSignatureException', `Credential is malformed: ${credential}`);
  }
  const [accessKey = '', date = '', region = '', service = ''] = scope;
  return { accessKey, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

// The signing key is derived from the secret by an HMAC chain over the credential scope.
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

export function canonicalRequest(req: SignedRequest, signedHeaders: readonly string[]): string {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const headerLines = signedHeaders.map((h) => {
    const value = (headerText(req.headers, h) ?? '').trim().replace(/\s+/g, ' ');
    return `${h}:${value}\n`;
  });
  const payloadHash = headerText(req.headers, 'x-amz-content-sha256') ?? sha256(req.body);
  return [
    req.method,
    canonicalPath(path),
    canonicalQuery(query),
    headerLines.join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

// Returns the access key of a correctly signed request; throws the AWS fault otherwise.
export function verifySigV4(
  req: SignedRequest,
  secrets: ReadonlyMap<string, string>,
  expected: SigningScope,
  now = Date.now(),
): string {
  const auth = headerText(req.headers, 'authorization');
  if (auth === undefined || auth === '') {
    throw new AwsFault('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const parsed = parseAuthorization(auth);
  const secret = secrets.get(parsed.accessKey);
  if (secret === undefined) {
    throw new AwsFault(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  const amzDate = headerText(req.headers, 'x-amz-date') ?? '';
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (m === null) {
    throw new AwsFault(
      'IncompleteSignatureException',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  if (!parsed.signedHeaders.includes('host')) {
    throw new AwsFault(
      'InvalidSignatureException',
      "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  if (parsed.date !== amzDate.slice(0, 8)) {
    throw new AwsFault(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  if (parsed.service !== expected.service) {
    throw new AwsFault(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${expected.service}'.`,
    );
  }
  if (parsed.region !== expected.region) {
    throw new AwsFault(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region, not '${parsed.region}'. `,
    );
  }
  const signedAt = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    throw new AwsFault(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier or later than allowed.`,
    );
  }
  const creq = canonicalRequest(req, parsed.signedHeaders);
  const stringToSign = [
    ALGORITHM,
    amzDate,
    `${parsed.date}/${parsed.region}/${parsed.service}/aws4_request`,
    sha256(creq),
  ].join('\n');
  const want = hmac(signingKey(secret, parsed.date, parsed.region, parsed.service), stringToSign);
  const got = Buffer.from(parsed.signature, 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new AwsFault(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return parsed.accessKey;
}
