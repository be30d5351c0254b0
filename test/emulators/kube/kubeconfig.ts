// A kubeconfig for the emulator, as client-node's KubeConfig.loadFromString/loadFromFile read it.
import { chmodSync, writeFileSync } from 'node:fs';
import { dump } from 'js-yaml';

// Cluster with inline CA data, a token user and a context carrying the default namespace.
export function kubeconfigYaml(server: string, caPem: string, token: string, namespace: string): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'kube-emulator',
        cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: 'kube-emulator', user: { token } }],
    contexts: [
      { name: 'kube-emulator', context: { cluster: 'kube-emulator', user: 'kube-emulator', namespace } },
    ],
    'current-context': 'kube-emulator',
  });
}

// Writes a kubeconfig with mode 0600, since it holds a bearer token.
export function writeKubeconfigFile(path: string, yaml: string): void {
  writeFileSync(path, yaml, { mode: 0o600 });
  chmodSync(path, 0o600);
}
