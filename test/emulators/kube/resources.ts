// The resource table: which group/version/plural the emulator serves, and how each behaves.
import type { Schema } from './schema.ts';

export interface ResourceDef {
  group: string;
  version: string;
  plural: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  hasStatus: boolean;
  // CRD-backed: schema-validated, resourceVersion required on update, no strategic merge patch.
  custom: boolean;
  tracksGeneration: boolean;
  // PUT of a missing object creates it (rbac, events) instead of answering 404.
  createOnUpdate: boolean;
  // DELETE answers with the deleted object (pods, serviceaccounts) instead of a Success Status.
  returnsDeleted: boolean;
  schema?: Schema;
  // Discovery verbs when not the usual CRUD set (e.g. create-only reviews).
  verbs?: string[];
  // Answered by a handler instead of storage: the only such resource is SelfSubjectAccessReview.
  virtual?: 'access-review';
}

export interface Registry {
  defs: ResourceDef[];
  byPath(group: string, version: string, plural: string): ResourceDef | undefined;
  byKind(apiVersion: string, kind: string): ResourceDef | undefined;
}

// "v1" for core, "group/version" otherwise, as objects spell apiVersion.
export function apiVersionOf(def: ResourceDef): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

// "secrets" or "backupsessions.stash.appscode.com": the resource as Status messages name it.
export function qualifiedResource(def: ResourceDef): string {
  return def.group === '' ? def.plural : `${def.plural}.${def.group}`;
}

// "Secret" or "BackupSession.stash.appscode.com": the kind as 422 Invalid messages name it.
export function qualifiedKind(def: ResourceDef): string {
  return def.group === '' ? def.kind : `${def.kind}.${def.group}`;
}

function builtin(group: string, plural: string, kind: string, more: Partial<ResourceDef> = {}): ResourceDef {
  return {
    group,
    version: 'v1',
    plural,
    kind,
    listKind: `${kind}List`,
    namespaced: true,
    hasStatus: false,
    custom: false,
    tracksGeneration: false,
    createOnUpdate: false,
    returnsDeleted: false,
    ...more,
  };
}

// Core, RBAC and access-review resources the addon (or Stash around it) touches; CRDs come from YAML.
export function builtinDefs(): ResourceDef[] {
  const rbac = 'rbac.authorization.k8s.io';
  return [
    builtin('', 'secrets', 'Secret'),
    builtin('', 'configmaps', 'ConfigMap'),
    builtin('', 'pods', 'Pod', { hasStatus: true, tracksGeneration: true, returnsDeleted: true }),
    builtin('', 'events', 'Event', { createOnUpdate: true }),
    builtin('', 'serviceaccounts', 'ServiceAccount', { returnsDeleted: true }),
    builtin('', 'namespaces', 'Namespace', { namespaced: false, hasStatus: true }),
    builtin(rbac, 'roles', 'Role', { createOnUpdate: true }),
    builtin(rbac, 'rolebindings', 'RoleBinding', { createOnUpdate: true }),
    builtin(rbac, 'clusterroles', 'ClusterRole', { namespaced: false, createOnUpdate: true }),
    builtin(rbac, 'clusterrolebindings', 'ClusterRoleBinding', { namespaced: false, createOnUpdate: true }),
    builtin('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', {
      namespaced: false,
      verbs: ['create'],
      virtual: 'access-review',
    }),
  ];
}

// Indexes the table by URL segments and by apiVersion/kind.
export function makeRegistry(defs: ResourceDef[]): Registry {
  const paths = new Map<string, ResourceDef>();
  const kinds = new Map<string, ResourceDef>();
  for (const d of defs) {
    paths.set(`${d.group}/${d.version}/${d.plural}`, d);
    kinds.set(`${apiVersionOf(d)}/${d.kind}`, d);
  }
  return {
    defs,
    byPath: (group, version, plural) => paths.get(`${group}/${version}/${plural}`),
    byKind: (apiVersion, kind) => kinds.get(`${apiVersion}/${kind}`),
  };
}
