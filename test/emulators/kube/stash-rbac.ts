// The RBAC Stash gives its backup/restore Job pods (stash-contract.md §1.6, checked against
// stashed/stash pkg/rbac/backup_job.go and restore_job.go), so e2e tests can run our code as the
// job's service account and meet the same 403s a real cluster gives.
import type { KubeEmulator, KubeObject } from './types.ts';

// The YAML loader, here too so e2e tests apply deploy/*.yaml next to these roles.
export { loadManifests, parseManifests } from './manifests.ts';

const RBAC_V1 = 'rbac.authorization.k8s.io/v1';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

// Rules both job roles share: everything in Stash's group (v1alpha1 and v1beta1 are the same group,
// Stash lists it twice), reading AppBindings.
function stashRules(): Rule[] {
  return [
    { apiGroups: ['stash.appscode.com'], resources: ['*'], verbs: ['*'] },
    { apiGroups: ['stash.appscode.com'], resources: ['*'], verbs: ['*'] },
    { apiGroups: ['appcatalog.appscode.com'], resources: ['appbindings'], verbs: ['get'] },
  ];
}

// Stash always adds the PSP rule; with no PSP names configured it names none (so: all of them).
function pspRule(psps: string[]): Rule {
  return {
    apiGroups: ['policy'],
    resources: ['podsecuritypolicies'],
    verbs: ['use'],
    ...(psps.length > 0 ? { resourceNames: psps } : {}),
  };
}

function clusterRole(name: string, rules: Rule[]): KubeObject {
  return { apiVersion: RBAC_V1, kind: 'ClusterRole', metadata: { name }, rules };
}

// ClusterRole stash-backup-job: get secrets/endpoints/pods, get+create pods/exec, create events.
export function stashBackupJobClusterRole(psps: string[] = []): KubeObject {
  return clusterRole('stash-backup-job', [
    ...stashRules(),
    { apiGroups: [''], resources: ['secrets', 'endpoints', 'pods'], verbs: ['get'] },
    { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    pspRule(psps),
  ]);
}

// ClusterRole stash-restore-job: only `get` on secrets, which is why a force restore that writes the
// unseal keys needs deploy/force-restore-rbac.yaml.
export function stashRestoreJobClusterRole(psps: string[] = []): KubeObject {
  return clusterRole('stash-restore-job', [
    ...stashRules(),
    { apiGroups: [''], resources: ['secrets', 'endpoints', 'persistentvolumeclaims'], verbs: ['get'] },
    { apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['get', 'create', 'list'] },
    { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'create', 'patch'] },
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'patch'] },
    {
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['roles', 'rolebindings'],
      verbs: ['get', 'create', 'patch'],
    },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    pspRule(psps),
  ]);
}

// Which ServiceAccount to bind to which ClusterRole (see bindServiceAccount).
export interface BindOptions {
  namespace: string;
  // The job's ServiceAccount, e.g. backupconfiguration-vault-backup-0.
  serviceAccount: string;
  // e.g. stash-backup-job; the ClusterRole itself is not created here.
  clusterRole: string;
  // RoleBinding name; defaults to the ServiceAccount's, as Stash names it (§1.6).
  name?: string;
}

// Puts the RoleBinding Stash creates for a job's ServiceAccount and returns a token for that account.
export function bindServiceAccount(emulator: KubeEmulator, o: BindOptions): string {
  emulator.put({
    apiVersion: RBAC_V1,
    kind: 'RoleBinding',
    metadata: { name: o.name ?? o.serviceAccount, namespace: o.namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: o.clusterRole },
    subjects: [{ kind: 'ServiceAccount', name: o.serviceAccount, namespace: o.namespace }],
  });
  return emulator.addUser(`system:serviceaccount:${o.namespace}:${o.serviceAccount}`);
}
