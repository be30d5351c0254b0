// Where and how to reach the Kubernetes API: --kubeconfig, else $KUBECONFIG, else the pod's service
// account, with --master overriding the server. Only what a Stash job needs is read here; kubeconfig
// users that authenticate through an exec plugin or an auth provider go to @kubernetes/client-node.
import { readFileSync } from 'node:fs';
import { KubeError } from '../errors.ts';
import { connectionFromKubeconfig } from './kubeconfig.ts';

export interface KubeConnection {
  server: string;
  caPem: string | undefined;
  insecureSkipTlsVerify: boolean;
  clientCert: { certPem: string; keyPem: string } | undefined;
  // The Authorization header value for the next request, if any (tokens may rotate on disk).
  authorization: () => Promise<string | undefined>;
  // Where it came from, for logs: never a credential.
  source: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
// Bound service account tokens rotate; kubelet rewrites the file well before expiry.
const TOKEN_REREAD_MS = 60_000;

export async function loadKubeConnection(
  kubeconfig: string,
  master: string,
  env: NodeJS.ProcessEnv = process.env,
  saDir = SA_DIR,
): Promise<KubeConnection> {
  const files =
    kubeconfig !== '' ? [kubeconfig] : (env['KUBECONFIG'] ?? '').split(':').filter((f) => f !== '');
  const conn = files.length > 0 ? await connectionFromKubeconfig(files) : inCluster(env, saDir);
  if (master === '') return conn;
  return { ...conn, server: master.replace(/\/+$/, ''), source: `${conn.source}, server from --master` };
}

function inCluster(env: NodeJS.ProcessEnv, saDir: string): KubeConnection {
  const host = env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '';
  if (host === '' || port === '') {
    throw new KubeError(
      'no Kubernetes credentials: not in a pod (KUBERNETES_SERVICE_HOST unset) and no --kubeconfig or KUBECONFIG',
    );
  }
  const tokenFile = `${saDir}/token`;
  let caPem: string;
  try {
    caPem = readFileSync(`${saDir}/ca.crt`, 'utf8');
  } catch (err) {
    throw new KubeError(`cannot read the service account CA ${saDir}/ca.crt`, undefined, { cause: err });
  }
  let token = '';
  let readAt = 0;
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    caPem,
    insecureSkipTlsVerify: false,
    clientCert: undefined,
    authorization: () => {
      if (token === '' || Date.now() - readAt > TOKEN_REREAD_MS) {
        token = readFileSync(tokenFile, 'utf8').trim();
        readAt = Date.now();
      }
      return Promise.resolve(`Bearer ${token}`);
    },
    source: 'in-cluster service account',
  };
}
