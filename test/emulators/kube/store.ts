// In-memory object storage with one global, monotonically increasing resourceVersion (like etcd's
// revision) and the server-owned metadata (uid, creationTimestamp, generation) the apiserver stamps.
import { randomUUID } from 'node:crypto';
import type { ResourceDef } from './resources.ts';
import type { KubeObject } from './types.ts';

type Meta = KubeObject['metadata'];

function storageKey(def: ResourceDef, namespace: string, name: string): string {
  return `${def.group}/${def.plural}/${def.namespaced ? namespace : ''}/${name}`;
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

// Everything but metadata (and status when it is a subresource): what `generation` counts changes of.
function specPart(def: ResourceDef, obj: KubeObject): string {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = obj;
  if (def.hasStatus) delete rest['status'];
  return JSON.stringify(rest);
}

// What the API would store for a new object: uid, creationTimestamp, generation, and `rv` (a dry-run
// create has none: the object never reaches etcd).
export function stampNew(def: ResourceDef, obj: KubeObject, rv: string | undefined): KubeObject {
  const meta: Meta = { ...obj.metadata, uid: randomUUID(), creationTimestamp: timestamp() };
  if (rv !== undefined) meta['resourceVersion'] = rv;
  if (!def.namespaced) delete meta.namespace;
  if (def.tracksGeneration) meta['generation'] = 1;
  else delete meta['generation'];
  return { ...obj, metadata: meta };
}

// What the API would store for an update of `old` to `next` at resourceVersion `rv`.
export function stampUpdate(def: ResourceDef, old: KubeObject, next: KubeObject, rv: string): KubeObject {
  const meta: Meta = {
    ...next.metadata,
    name: old.metadata.name,
    uid: old.metadata['uid'],
    creationTimestamp: old.metadata['creationTimestamp'],
    resourceVersion: rv,
  };
  if (old.metadata.namespace !== undefined) meta.namespace = old.metadata.namespace;
  if (def.tracksGeneration) {
    const gen = typeof old.metadata['generation'] === 'number' ? old.metadata['generation'] : 1;
    meta['generation'] = specPart(def, old) === specPart(def, next) ? gen : gen + 1;
  }
  return { ...next, metadata: meta };
}

// The storage operations the verbs use; ObjectStore and the dry-run view both implement it.
export interface StoreView {
  revision(): string;
  find(def: ResourceDef, namespace: string, name: string): KubeObject | undefined;
  list(def: ResourceDef, namespace: string | undefined): KubeObject[];
  insert(def: ResourceDef, obj: KubeObject): KubeObject;
  update(def: ResourceDef, old: KubeObject, next: KubeObject): KubeObject;
  touch(def: ResourceDef, obj: KubeObject): void;
  delete(def: ResourceDef, namespace: string, name: string): KubeObject | undefined;
  namespaces(): string[];
}

// All objects of one emulator, keyed like etcd (group/resource/namespace/name).
export class ObjectStore implements StoreView {
  #objects = new Map<string, KubeObject>();
  #revision = 100;

  // The current revision, as LIST answers report it.
  revision(): string {
    return String(this.#revision);
  }

  // Advances the global revision and returns it; every write calls this once.
  bump(): string {
    this.#revision += 1;
    return String(this.#revision);
  }

  // The stored object itself (callers clone before handing it out).
  find(def: ResourceDef, namespace: string, name: string): KubeObject | undefined {
    return this.#objects.get(storageKey(def, namespace, name));
  }

  // Objects of one resource, in one namespace or all, in etcd key order.
  list(def: ResourceDef, namespace: string | undefined): KubeObject[] {
    const prefix = `${def.group}/${def.plural}/${namespace !== undefined && def.namespaced ? `${namespace}/` : ''}`;
    return [...this.#objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v);
  }

  // Stores a new object, stamping uid, creationTimestamp, resourceVersion and generation.
  insert(def: ResourceDef, obj: KubeObject): KubeObject {
    const stored = stampNew(def, obj, this.bump());
    this.#objects.set(storageKey(def, stored.metadata.namespace ?? '', stored.metadata.name), stored);
    return stored;
  }

  // Replaces an existing object, keeping server-owned metadata and bumping generation on spec change.
  update(def: ResourceDef, old: KubeObject, next: KubeObject): KubeObject {
    const stored = stampUpdate(def, old, next, this.bump());
    this.#objects.set(storageKey(def, stored.metadata.namespace ?? '', stored.metadata.name), stored);
    return stored;
  }

  // Gives an existing object a new resourceVersion, as a concurrent writer would have.
  touch(def: ResourceDef, obj: KubeObject): void {
    obj.metadata['resourceVersion'] = this.bump();
    this.#objects.set(storageKey(def, obj.metadata.namespace ?? '', obj.metadata.name), obj);
  }

  // Removes an object (a write, so the revision advances) and returns what was stored.
  delete(def: ResourceDef, namespace: string, name: string): KubeObject | undefined {
    const key = storageKey(def, namespace, name);
    const obj = this.#objects.get(key);
    this.#objects.delete(key);
    if (obj !== undefined) this.bump();
    return obj;
  }

  // Namespaces that hold at least one object, for the implicit Namespace resource.
  namespaces(): string[] {
    const seen = new Set<string>(['default', 'kube-system']);
    for (const obj of this.#objects.values())
      if (obj.metadata.namespace !== undefined) seen.add(obj.metadata.namespace);
    return [...seen].sort();
  }
}
