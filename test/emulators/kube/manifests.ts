// Multi-document YAML manifests (like deploy/force-restore-rbac.yaml) as objects emulator.put() takes.
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { isObject } from './json.ts';
import type { KubeObject } from './types.ts';

function isKubeObject(doc: unknown): doc is KubeObject {
  return (
    isObject(doc) &&
    typeof doc['apiVersion'] === 'string' &&
    typeof doc['kind'] === 'string' &&
    isObject(doc['metadata']) &&
    typeof doc['metadata']['name'] === 'string'
  );
}

// Every object in `yaml`, in order; empty documents are skipped, anything else without
// apiVersion/kind/metadata.name is an error naming its position.
export function parseManifests(yaml: string, source = 'manifest'): KubeObject[] {
  const out: KubeObject[] = [];
  loadAll(yaml).forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    if (!isKubeObject(doc)) throw new Error(`${source}: document ${i + 1} is not a Kubernetes object`);
    out.push(doc);
  });
  return out;
}

// parseManifests of a file.
export function loadManifests(path: string): KubeObject[] {
  return parseManifests(readFileSync(path, 'utf8'), path);
}
