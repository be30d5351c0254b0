// Reads CustomResourceDefinition YAML so the emulator serves exactly the versions, scopes,
// subresources and schemas the real Stash/KubeVault CRDs declare.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { ResourceDef } from './resources.ts';
import type { Schema } from './schema.ts';

interface CrdVersion {
  name: string;
  served?: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: unknown };
}

interface Crd {
  kind?: string;
  spec?: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; listKind?: string };
    versions: CrdVersion[];
  };
}

// One ResourceDef per served version of every CRD in `dir` (*.yaml / *.yml, multi-document allowed).
export function loadCrdDefs(dir: string): ResourceDef[] {
  const defs: ResourceDef[] = [];
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  for (const file of files) {
    for (const doc of loadAll(readFileSync(join(dir, file), 'utf8')) as Crd[]) {
      if (doc?.kind !== 'CustomResourceDefinition' || doc.spec === undefined) continue;
      const { group, scope, names, versions } = doc.spec;
      for (const v of versions) {
        if (v.served === false) continue;
        const schema = v.schema?.openAPIV3Schema;
        defs.push({
          group,
          version: v.name,
          plural: names.plural,
          kind: names.kind,
          listKind: names.listKind ?? `${names.kind}List`,
          namespaced: scope === 'Namespaced',
          hasStatus: v.subresources?.status !== undefined,
          custom: true,
          tracksGeneration: true,
          createOnUpdate: false,
          returnsDeleted: false,
          ...(schema !== undefined ? { schema } : {}),
        });
      }
    }
  }
  return defs;
}
