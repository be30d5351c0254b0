// The bootstrap policy every real cluster starts with (plugin/pkg/auth/authorizer/rbac/bootstrappolicy),
// reduced to the roles that matter here: cluster-admin for system:masters, discovery, public info and
// basic-user (self access reviews) for every authenticated user.
import type { KubeObject } from './types.ts';

const RBAC_V1 = 'rbac.authorization.k8s.io/v1';
const META = {
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
};

function clusterRole(name: string, rules: Array<Record<string, string[]>>): KubeObject {
  return { apiVersion: RBAC_V1, kind: 'ClusterRole', metadata: { name, ...structuredClone(META) }, rules };
}

function groupBinding(name: string, groups: string[]): KubeObject {
  return {
    apiVersion: RBAC_V1,
    kind: 'ClusterRoleBinding',
    metadata: { name, ...structuredClone(META) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: groups.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
  };
}

// The ClusterRoles and ClusterRoleBindings the emulator stores at start-up.
export function bootstrapRbac(): KubeObject[] {
  return [
    clusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    groupBinding('cluster-admin', ['system:masters']),
    clusterRole('system:discovery', [
      {
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
        verbs: ['get'],
      },
    ]),
    groupBinding('system:discovery', ['system:authenticated']),
    clusterRole('system:public-info-viewer', [
      { nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] },
    ]),
    groupBinding('system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
    clusterRole('system:basic-user', [
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create'],
      },
      { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
    ]),
    groupBinding('system:basic-user', ['system:authenticated']),
  ];
}
