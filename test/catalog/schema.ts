// A strict structural validator for CRD openAPIV3Schema: types, required, enum, and unknown fields.
// Unlike the apiserver (which silently prunes unknown fields), an unknown field is an error here, so a
// misspelt `readOnlyRootFileSystem` fails a test instead of vanishing on `kubectl apply`.
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema: { openAPIV3Schema: Schema } }[];
  };
}

// The schema of `version` in a CRD file, plus the apiVersion it serves.
export function loadCrdSchema(
  file: string,
  version: string,
): { apiVersion: string; kind: string; schema: Schema } {
  const crd = load(readFileSync(file, 'utf8')) as Crd;
  const v = crd.spec.versions.find((x) => x.name === version);
  if (v === undefined) throw new Error(`${file}: no version ${version}`);
  return {
    apiVersion: `${crd.spec.group}/${version}`,
    kind: crd.spec.names.kind,
    schema: v.schema.openAPIV3Schema,
  };
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

// Every violation of `s` by `v`, as "path: problem" strings; empty when valid.
export function validate(v: unknown, s: Schema, path = ''): string[] {
  const errs: string[] = [];
  const at = path === '' ? '<root>' : path;
  const got = jsonType(v);
  if (s['x-kubernetes-int-or-string'] === true) {
    if (got !== 'integer' && got !== 'string') errs.push(`${at}: must be integer or string, got ${got}`);
    return errs;
  }
  if (s.type !== undefined && s.type !== got && !(s.type === 'number' && got === 'integer')) {
    errs.push(`${at}: must be of type ${s.type}, got ${got}`);
    return errs;
  }
  if (s.enum !== undefined && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    errs.push(`${at}: unsupported value ${JSON.stringify(v)}`);
  }
  if (Array.isArray(v)) {
    if (s.items !== undefined)
      v.forEach((item, i) => errs.push(...validate(item, s.items as Schema, `${path}[${i}]`)));
  } else if (got === 'object') {
    const o = v as Record<string, unknown>;
    for (const key of s.required ?? [])
      if (!(key in o)) errs.push(`${path === '' ? key : `${path}.${key}`}: required`);
    for (const [key, value] of Object.entries(o)) {
      const child = path === '' ? key : `${path}.${key}`;
      const prop = s.properties?.[key];
      if (prop !== undefined) errs.push(...validate(value, prop, child));
      else if (typeof s.additionalProperties === 'object')
        errs.push(...validate(value, s.additionalProperties, `${path}[${key}]`));
      else if (s.additionalProperties !== true && s['x-kubernetes-preserve-unknown-fields'] !== true) {
        errs.push(`${child}: unknown field`);
      }
    }
  }
  return errs;
}
