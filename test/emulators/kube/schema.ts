// A small OpenAPI v3 validator for CRD schemas, producing the field errors (paths, wording, cause
// reasons) the apiextensions-apiserver returns in 422 Invalid, for the keywords our CRDs use.
import type { StatusCause } from './status.ts';

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  anyOf?: Schema[];
  nullable?: boolean;
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INT32: [number, number] = [-2147483648, 2147483647];

// Go's field.Path rendering: `spec.targets[0].ref`, map keys as `[key]`.
export function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function quote(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}

function typeInvalid(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueTypeInvalid', message: `Invalid value: ${quote(value)}: ${detail}`, field };
}

function invalidValue(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${quote(value)}: ${detail}`, field };
}

function typeMatches(want: string, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer');
}

function checkString(v: string, s: Schema, path: string, errs: StatusCause[]): void {
  const where = `${path} in body`;
  if (s.format === 'date-time' && !(DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)))) {
    errs.push(typeInvalid(path, v, `${where} must be of type date-time: ${quote(v)}`));
  }
  if (s.format === 'byte' && !BASE64.test(v))
    errs.push(typeInvalid(path, v, `${where} must be of type byte: ${quote(v)}`));
  if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v))
    errs.push(invalidValue(path, v, `${where} should match '${s.pattern}'`));
  if (s.maxLength !== undefined && v.length > s.maxLength) {
    errs.push({
      reason: 'FieldValueTooLong',
      message: `Too long: may not be more than ${s.maxLength} bytes`,
      field: path,
    });
  }
  if (s.minLength !== undefined && v.length < s.minLength)
    errs.push(invalidValue(path, v, `${where} should be at least ${s.minLength} chars long`));
}

function checkNumber(v: number, s: Schema, path: string, errs: StatusCause[]): void {
  const where = `${path} in body`;
  if (s.format === 'int32' && (v < INT32[0] || v > INT32[1]))
    errs.push(invalidValue(path, v, `${where} must be of type int32: ${quote(String(v))}`));
  if (s.minimum !== undefined && v < s.minimum)
    errs.push(invalidValue(path, v, `${where} should be greater than or equal to ${s.minimum}`));
  if (s.maximum !== undefined && v > s.maximum)
    errs.push(invalidValue(path, v, `${where} should be less than or equal to ${s.maximum}`));
}

function checkEmbedded(o: Record<string, unknown>, path: string, errs: StatusCause[]): void {
  for (const key of ['apiVersion', 'kind']) {
    const v = o[key];
    if (v === undefined || v === '') errs.push(required(childPath(path, key)));
    else if (typeof v !== 'string') errs.push(invalidValue(childPath(path, key), v, 'must be a string'));
  }
}

function checkObject(o: Record<string, unknown>, s: Schema, path: string, errs: StatusCause[]): void {
  if (s['x-kubernetes-embedded-resource'] === true) checkEmbedded(o, path, errs);
  for (const key of s.required ?? []) if (!(key in o)) errs.push(required(childPath(path, key)));
  for (const [key, value] of Object.entries(o)) {
    const prop = s.properties?.[key];
    if (prop !== undefined) validateValue(value, prop, childPath(path, key), errs);
    else if (typeof s.additionalProperties === 'object')
      validateValue(value, s.additionalProperties, `${path}[${key}]`, errs);
  }
}

// Appends every violation of `s` by `v` at `path` to `errs`.
export function validateValue(v: unknown, s: Schema, path: string, errs: StatusCause[]): void {
  const got = jsonType(v);
  if (v === null && s.nullable === true) return;
  if (s['x-kubernetes-int-or-string'] === true) {
    if (got !== 'integer' && got !== 'string')
      errs.push(typeInvalid(path, got, `${path} in body must be of type integer,string: ${quote(got)}`));
    else if (typeof v === 'string') checkString(v, s, path, errs);
    return;
  }
  if (s.anyOf !== undefined && s.anyOf.length > 0) {
    const branches = s.anyOf.map((b) => {
      const e: StatusCause[] = [];
      validateValue(v, b, path, e);
      return e;
    });
    if (!branches.some((e) => e.length === 0)) errs.push(...(branches[0] ?? []));
  }
  if (s.type !== undefined && !typeMatches(s.type, got)) {
    errs.push(typeInvalid(path, got, `${path} in body must be of type ${s.type}: ${quote(got)}`));
    return;
  }
  if (s.enum !== undefined && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    const supported = s.enum.map((e) => JSON.stringify(e)).join(', ');
    errs.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(v)}: supported values: ${supported}`,
      field: path,
    });
  }
  if (typeof v === 'string') checkString(v, s, path, errs);
  else if (typeof v === 'number') checkNumber(v, s, path, errs);
  else if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) {
      errs.push({
        reason: 'FieldValueTooMany',
        message: `Too many: ${v.length}: must have at most ${s.maxItems} items`,
        field: path,
      });
    }
    if (s.minItems !== undefined && v.length < s.minItems)
      errs.push(invalidValue(path, got, `${path} in body should have at least ${s.minItems} items`));
    if (s.items !== undefined)
      v.forEach((item, i) => validateValue(item, s.items as Schema, `${path}[${i}]`, errs));
  } else if (got === 'object') checkObject(v as Record<string, unknown>, s, path, errs);
}

// Validates a whole custom object: the root is an embedded resource, metadata is checked elsewhere.
export function validateCustomObject(obj: Record<string, unknown>, s: Schema): StatusCause[] {
  const errs: StatusCause[] = [];
  const { metadata: _metadata, ...rest } = obj;
  checkEmbedded(obj, '', errs);
  validateValue(
    rest,
    { ...s, properties: { ...s.properties }, required: (s.required ?? []).filter((r) => r !== 'metadata') },
    '',
    errs,
  );
  return errs;
}
