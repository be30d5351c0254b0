// Cloud Storage buckets and objects as the JSON API describes them: flat object names, a new
// generation per write, and checksums (crc32c, md5Hash) the SDK validates after every transfer.
import { createHash } from 'node:crypto';
import { ApiFailure } from './errors.ts';
import { crc32cBase64 } from './crc32c.ts';

export interface GcsObject {
  bucket: string;
  name: string;
  data: Buffer;
  contentType: string;
  generation: string;
  metageneration: string;
  created: Date;
  updated: Date;
}

export interface GcsApi {
  createBucket(name: string): void;
  hasBucket(name: string): boolean;
  put(bucket: string, name: string, data: Buffer, contentType?: string): GcsObject;
  get(bucket: string, name: string): GcsObject | undefined;
  names(bucket: string): string[];
}

export const missingBucket = (): ApiFailure =>
  new ApiFailure('NOT_FOUND', 'The specified bucket does not exist.', 'notFound');
export const missingObject = (bucket: string, name: string): ApiFailure =>
  new ApiFailure('NOT_FOUND', `No such object: ${bucket}/${name}`, 'notFound');

export const md5Base64 = (data: Buffer): string => createHash('md5').update(data).digest('base64');

export function createGcs(): GcsApi {
  const buckets = new Map<string, Map<string, GcsObject>>();
  let clock = Date.now() * 1000;
  const bucketOf = (name: string): Map<string, GcsObject> => {
    const b = buckets.get(name);
    if (b === undefined) throw missingBucket();
    return b;
  };
  return {
    createBucket(name) {
      if (!buckets.has(name)) buckets.set(name, new Map());
    },
    hasBucket: (name) => buckets.has(name),
    put(bucket, name, data, contentType = 'application/octet-stream') {
      const objects = bucketOf(bucket);
      if (
        name === '' ||
        Buffer.byteLength(name) > 1024 ||
        /[\r\n]/.test(name) ||
        name === '.' ||
        name === '..' ||
        name.startsWith('.well-known/acme-challenge/')
      ) {
        throw new ApiFailure('INVALID_ARGUMENT', 'The specified object name is not valid.', 'invalid');
      }
      const now = new Date();
      const created = objects.get(name)?.created ?? now;
      clock = Math.max(clock + 1, now.getTime() * 1000);
      const obj: GcsObject = {
        bucket,
        name,
        data: Buffer.from(data),
        contentType,
        generation: String(clock),
        metageneration: '1',
        created,
        updated: now,
      };
      objects.set(name, obj);
      return obj;
    },
    get: (bucket, name) => bucketOf(bucket).get(name),
    names: (bucket) => [...(buckets.get(bucket)?.keys() ?? [])].sort(),
  };
}

// The `storage#object` resource returned by uploads and metadata reads.
export function objectResource(o: GcsObject, baseUrl: string): Record<string, unknown> {
  const path = `b/${encodeURIComponent(o.bucket)}/o/${encodeURIComponent(o.name)}`;
  return {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/${path}`,
    mediaLink: `${baseUrl}/download/storage/v1/${path}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation,
    metageneration: o.metageneration,
    contentType: o.contentType,
    storageClass: 'STANDARD',
    size: String(o.data.length),
    md5Hash: md5Base64(o.data),
    crc32c: crc32cBase64(o.data),
    etag: Buffer.from(o.generation).toString('base64'),
    timeCreated: o.created.toISOString(),
    updated: o.updated.toISOString(),
    timeStorageClassUpdated: o.created.toISOString(),
  };
}
