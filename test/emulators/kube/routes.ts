// URL → what is being addressed: a discovery document, or a resource (collection, object, subresource)
// in the apiserver's path layout (/api/v1/..., /apis/{group}/{version}/..., namespaced or cluster).
import type { Registry, ResourceDef } from './resources.ts';

export interface ResourceTarget {
  def: ResourceDef;
  // undefined: cluster-scoped resource, or a namespaced collection listed across all namespaces.
  namespace: string | undefined;
  name: string;
  subresource: string;
}

export type Target =
  | { type: 'discovery'; segments: string[] }
  | { type: 'resource'; target: ResourceTarget }
  | { type: 'unknown' };

function resource(registry: Registry, group: string, version: string, rest: string[]): Target {
  let namespace: string | undefined;
  let parts = rest;
  if (
    parts[0] === 'namespaces' &&
    parts.length >= 3 &&
    registry.byPath(group, version, parts[2] ?? '')?.namespaced === true
  ) {
    namespace = parts[1];
    parts = parts.slice(2);
  }
  const [plural = '', name = '', subresource = '', ...extra] = parts;
  const def = registry.byPath(group, version, plural);
  if (def === undefined || extra.length > 0) return { type: 'unknown' };
  if (def.namespaced && namespace === undefined && name !== '') return { type: 'unknown' };
  if (subresource !== '' && !(subresource === 'status' && def.hasStatus)) return { type: 'unknown' };
  return { type: 'resource', target: { def, namespace, name, subresource } };
}

// Splits and decodes the path; anything the emulator does not serve is { type: 'unknown' }.
export function route(registry: Registry, pathname: string): Target {
  let segments: string[];
  try {
    segments = pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return { type: 'unknown' };
  }
  const [root, a, b, ...rest] = segments;
  if (root === 'version' && segments.length === 1) return { type: 'discovery', segments };
  if (root === 'api') {
    if (a === undefined || (a === 'v1' && b === undefined)) return { type: 'discovery', segments };
    if (a === 'v1' && b !== undefined) return resource(registry, '', 'v1', [b, ...rest]);
  }
  if (root === 'apis') {
    if (b === undefined || rest.length === 0) return { type: 'discovery', segments };
    if (a !== undefined) return resource(registry, a, b, rest);
  }
  return { type: 'unknown' };
}
