// Structural-schema pruning and defaulting, as the apiserver applies them to custom objects before
// validation: unknown fields vanish silently, missing fields with a `default` appear.
import { isObject } from './json.ts';
import type { Schema } from './schema.ts';

const META_KEYS = new Set(['apiVersion', 'kind', 'metadata']);

function pruneValue(v: unknown, s: Schema, keepMeta: boolean): void {
  if (Array.isArray(v)) {
    if (s.items !== undefined) for (const item of v) pruneValue(item, s.items, false);
    return;
  }
  if (!isObject(v)) return;
  const embedded = keepMeta || s['x-kubernetes-embedded-resource'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(v)) {
    const prop = s.properties?.[key];
    if (embedded && META_KEYS.has(key)) continue;
    if (prop !== undefined) pruneValue(v[key], prop, false);
    else if (typeof s.additionalProperties === 'object') pruneValue(v[key], s.additionalProperties, false);
    else if (!preserve && s.additionalProperties !== true) delete v[key];
  }
}

function defaultValue(v: unknown, s: Schema): void {
  if (Array.isArray(v)) {
    if (s.items !== undefined) for (const item of v) defaultValue(item, s.items);
    return;
  }
  if (!isObject(v)) return;
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const missing = !(key in v) || (v[key] === null && prop.nullable !== true);
    if (missing && prop.default !== undefined) v[key] = structuredClone(prop.default);
    if (key in v) defaultValue(v[key], prop);
  }
  if (typeof s.additionalProperties === 'object')
    for (const item of Object.values(v)) defaultValue(item, s.additionalProperties);
}

// Mutates `obj` in place: drops fields the schema does not know, then fills in defaults.
export function pruneAndDefault(obj: Record<string, unknown>, s: Schema): void {
  pruneValue(obj, s, true);
  defaultValue(obj, s);
}
