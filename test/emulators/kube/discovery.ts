// Discovery documents (/version, /api, /apis, group and group-version resource lists): minimal but
// shaped like the apiserver's, so clients that probe before calling get sensible answers.
import type { Registry, ResourceDef } from './resources.ts';

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update'];

function resourceList(groupVersion: string, defs: ResourceDef[]): Record<string, unknown> {
  const resources = defs.flatMap((d) => {
    const main = {
      name: d.plural,
      singularName: d.kind.toLowerCase(),
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs ?? VERBS,
    };
    const status = {
      name: `${d.plural}/status`,
      singularName: '',
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: ['get', 'patch', 'update'],
    };
    return d.hasStatus ? [main, status] : [main];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

function groupDoc(name: string, defs: ResourceDef[]): Record<string, unknown> {
  const versions = [...new Set(defs.filter((d) => d.group === name).map((d) => d.version))].map((v) => ({
    groupVersion: `${name}/${v}`,
    version: v,
  }));
  return { name, versions, preferredVersion: versions[0] };
}

// The document for a discovery path, or undefined (404) for one the emulator does not know.
export function discoveryDoc(registry: Registry, segments: string[], serverAddress: string): unknown {
  const [root, a, b] = segments;
  const defs = registry.defs;
  if (root === 'version') {
    return {
      major: '1',
      minor: '33',
      gitVersion: 'v1.33.0',
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2025-04-23T00:00:00Z',
      goVersion: 'go1.24.2',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }
  if (root === 'api' && a === undefined) {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }
  if (root === 'api' && a === 'v1')
    return resourceList(
      'v1',
      defs.filter((d) => d.group === ''),
    );
  if (root !== 'apis') return undefined;
  const groups = [...new Set(defs.map((d) => d.group).filter((g) => g !== ''))].sort();
  if (a === undefined)
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => groupDoc(g, defs)) };
  if (!groups.includes(a)) return undefined;
  if (b === undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(a, defs) };
  const inVersion = defs.filter((d) => d.group === a && d.version === b);
  return inVersion.length > 0 ? resourceList(`${a}/${b}`, inVersion) : undefined;
}
