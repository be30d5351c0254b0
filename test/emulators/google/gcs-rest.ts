// GCS JSON API request bodies: simple uploads (uploadType=multipart or media) and the
// integrity checks the service applies to the checksums a client declares in the metadata.
import { ApiFailure } from './errors.ts';
import { crc32cBase64 } from './crc32c.ts';
import { md5Base64, type GcsApi, type GcsObject } from './gcs.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';

interface Upload {
  name: string;
  data: Buffer;
  contentType: string;
  declared: Record<string, unknown>;
}

function parseUpload(query: URLSearchParams, contentType: string, body: Buffer): Upload {
  const uploadType = query.get('uploadType');
  if (uploadType === 'media') {
    return {
      name: query.get('name') ?? '',
      data: body,
      contentType: contentType || 'application/octet-stream',
      declared: {},
    };
  }
  if (uploadType !== 'multipart') {
    // Resumable sessions are not emulated: our store uploads its tiny objects in one request.
    throw new ApiFailure(
      'INVALID_ARGUMENT',
      `uploadType=${String(uploadType)} is not supported by this emulator`,
    );
  }
  const boundary = boundaryOf(contentType);
  const parts = boundary === undefined ? undefined : parseMultipart(body, boundary);
  const [meta, media] = parts ?? [];
  if (parts?.length !== 2 || meta === undefined || media === undefined) {
    throw new ApiFailure(
      'INVALID_ARGUMENT',
      'Metadata part is too large or the multipart body is malformed.',
    );
  }
  let declared: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(meta.body.toString('utf8') || '{}');
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    declared = v as Record<string, unknown>;
  } catch {
    throw new ApiFailure(
      'INVALID_ARGUMENT',
      'Invalid JSON payload received in the metadata part.',
      'parseError',
    );
  }
  const nameFromMeta = typeof declared['name'] === 'string' ? declared['name'] : undefined;
  const contentTypeFromMeta =
    typeof declared['contentType'] === 'string' ? declared['contentType'] : undefined;
  return {
    name: query.get('name') ?? nameFromMeta ?? '',
    data: media.body,
    contentType: contentTypeFromMeta ?? media.headers['content-type'] ?? 'application/octet-stream',
    declared,
  };
}

// Stores the upload, refusing it when the declared crc32c/md5Hash do not match the received bytes.
export function restUpload(
  gcs: GcsApi,
  bucket: string,
  query: URLSearchParams,
  contentType: string,
  body: Buffer,
): GcsObject {
  const up = parseUpload(query, contentType, body);
  if (up.name === '')
    throw new ApiFailure('INVALID_ARGUMENT', 'Required object name is missing.', 'required');
  const crc = up.declared['crc32c'];
  if (typeof crc === 'string' && crc !== crc32cBase64(up.data)) {
    throw new ApiFailure(
      'INVALID_ARGUMENT',
      `Provided CRC32C "${crc}" doesn't match calculated CRC32C "${crc32cBase64(up.data)}".`,
    );
  }
  const md5 = up.declared['md5Hash'];
  if (typeof md5 === 'string' && md5 !== md5Base64(up.data)) {
    throw new ApiFailure('INVALID_ARGUMENT', `Provided MD5 hash "${md5}" doesn't match calculated MD5 hash.`);
  }
  return gcs.put(bucket, up.name, up.data, up.contentType);
}
