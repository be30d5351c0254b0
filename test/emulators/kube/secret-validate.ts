// Secrets as the apiserver takes them: `data` decoded as Go []byte (base64, or the decoder fails),
// stringData merged into data, then ValidateSecret/ValidateSecretUpdate: config-key names, the 1 MiB
// total, an immutable type, and the `immutable` flag.
import { goQuote } from './go-text.ts';
import { goBase64Decode } from './go-base64.ts';
import { canonical, isObject } from './json.ts';
import type { StatusCause } from './status.ts';
import type { KubeObject } from './types.ts';

const KEY = /^[-._a-zA-Z0-9]+$/;
const KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
// core.MaxSecretSize.
const MAX_SECRET_SIZE = 1024 * 1024;

// A failure of the typed JSON decoder (the apiserver reports it as 400 on create/update and as a
// 422 on the "patch" field after a patch); `message` is Go's error text.
export class DecodeError extends Error {
  override name = 'DecodeError';
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (isObject(v)) return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

// encoding/json's UnmarshalTypeError text for a value of the wrong JSON type.
function cannot(v: unknown, field: string, goType: string): string {
  return `json: cannot unmarshal ${jsonType(v)} into Go struct field ${field} of type ${goType}`;
}

// Decodes data values like Go's json into map[string][]byte (null reads as empty) and merges
// stringData in; returns the decoded size of every value.
function decodeData(obj: KubeObject): Map<string, number> {
  const raw = obj['data'];
  if (raw !== undefined && raw !== null && !isObject(raw))
    throw new DecodeError(cannot(raw, 'Secret.data', 'map[string][]uint8'));
  const data: Record<string, unknown> = isObject(raw) ? { ...raw } : {};
  const sizes = new Map<string, number>();
  for (const [k, v] of Object.entries(data)) {
    if (v === null) data[k] = '';
    else if (typeof v !== 'string')
      throw new DecodeError(
        `json: cannot unmarshal ${jsonType(v)} into Go struct field Secret.data of type []uint8`,
      );
    const bytes = goBase64Decode(typeof v === 'string' ? v : '');
    if (typeof bytes === 'number') throw new DecodeError(`illegal base64 data at input byte ${bytes}`);
    sizes.set(k, bytes.length);
  }
  const stringData = obj['stringData'];
  if (stringData !== undefined && stringData !== null && !isObject(stringData))
    throw new DecodeError(cannot(stringData, 'Secret.stringData', 'map[string]string'));
  for (const [k, v] of Object.entries(isObject(stringData) ? stringData : {})) {
    if (v !== null && typeof v !== 'string') throw new DecodeError(cannot(v, 'Secret.stringData', 'string'));
    const bytes = Buffer.from(v ?? '', 'utf8');
    data[k] = bytes.toString('base64');
    sizes.set(k, bytes.length);
  }
  delete obj['stringData'];
  if (Object.keys(data).length > 0) obj['data'] = data;
  else delete obj['data'];
  const type = obj['type'];
  if (type !== undefined && type !== null && typeof type !== 'string')
    throw new DecodeError(cannot(type, 'Secret.type', 'v1.SecretType'));
  if (typeof type !== 'string' || type === '') obj['type'] = 'Opaque';
  return sizes;
}

// IsConfigMapKey's messages for one key.
function keyErrors(key: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(key) > 253) errs.push('must be no more than 253 characters');
  if (!KEY.test(key)) errs.push(KEY_MSG);
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

function updateCauses(obj: KubeObject, old: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (obj['type'] !== old['type'])
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${goQuote(String(obj['type']))}: field is immutable`,
      field: 'type',
    });
  if (old['immutable'] === true) {
    const forbidden = (field: string): StatusCause => ({
      reason: 'FieldValueForbidden',
      message: 'Forbidden: field is immutable when `immutable` is set',
      field,
    });
    if (obj['immutable'] !== true) causes.push(forbidden('immutable'));
    if (canonical(obj['data'] ?? {}) !== canonical(old['data'] ?? {})) causes.push(forbidden('data'));
  }
  return causes;
}

// Normalizes a Secret in place and returns its field errors; throws DecodeError for bad data.
export function admitSecret(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const sizes = decodeData(obj);
  const causes = old === undefined ? [] : updateCauses(obj, old);
  let total = 0;
  for (const [key, size] of sizes) {
    total += size;
    for (const msg of keyErrors(key))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${goQuote(key)}: ${msg}`,
        field: `data[${key}]`,
      });
  }
  if (total > MAX_SECRET_SIZE)
    causes.push({
      reason: 'FieldValueTooLong',
      message: `Too long: may not be more than ${MAX_SECRET_SIZE} bytes`,
      field: 'data',
    });
  return causes;
}
