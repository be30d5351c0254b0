// Kubeconfig files: the current context's cluster and user, merged over several files as kubectl does
// (first file that sets a name wins). Token, token file, client certificate and basic auth are read here;
// exec plugins and auth providers are handed to @kubernetes/client-node, loaded only then.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { KubeError } from '../errors.ts';
import type { KubeConnection } from './connection.ts';

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

interface Named {
  file: string;
  value: Rec;
}

export async function connectionFromKubeconfig(files: string[]): Promise<KubeConnection> {
  const clusters = new Map<string, Named>();
  const users = new Map<string, Named>();
  const contexts = new Map<string, Named>();
  // Only kubeconfig users need a YAML parser: in a pod it is never loaded.
  const { load } = await import('js-yaml');
  let current = '';
  for (const file of files) {
    let doc: Rec;
    try {
      doc = rec(load(readFileSync(file, 'utf8')));
    } catch (err) {
      throw new KubeError(`cannot read kubeconfig ${file}: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
    if (current === '') current = str(doc['current-context']);
    const add = (into: Map<string, Named>, list: unknown, field: string): void => {
      for (const e of Array.isArray(list) ? list : []) {
        const name = str(rec(e)['name']);
        if (name !== '' && !into.has(name)) into.set(name, { file, value: rec(rec(e)[field]) });
      }
    };
    add(clusters, doc['clusters'], 'cluster');
    add(users, doc['users'], 'user');
    add(contexts, doc['contexts'], 'context');
  }
  const ctx = contexts.get(current)?.value;
  if (ctx === undefined) throw new KubeError(`kubeconfig has no current context "${current}"`);
  const cluster = clusters.get(str(ctx['cluster']));
  if (cluster === undefined) throw new KubeError(`kubeconfig context "${current}" names no known cluster`);
  const user = users.get(str(ctx['user'])) ?? { file: cluster.file, value: {} };
  const c = cluster.value;
  const u = user.value;
  const server = str(c['server']).replace(/\/+$/, '');
  if (server === '') throw new KubeError(`kubeconfig cluster "${str(ctx['cluster'])}" has no server`);
  const source = `kubeconfig ${files.join(':')} context ${current}`;
  if (u['exec'] !== undefined || u['auth-provider'] !== undefined)
    return viaClientNode(files, server, source);
  const certPem = pem(u, 'client-certificate', user.file);
  const keyPem = pem(u, 'client-key', user.file);
  return {
    server,
    caPem: pem(c, 'certificate-authority', cluster.file),
    insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
    clientCert: certPem !== undefined && keyPem !== undefined ? { certPem, keyPem } : undefined,
    authorization: userAuthorization(u, user.file),
    source,
  };
}

// `<field>-data` (base64) or `<field>` (a path relative to the kubeconfig file).
function pem(o: Rec, field: string, file: string): string | undefined {
  const data = str(o[`${field}-data`]);
  if (data !== '') return Buffer.from(data, 'base64').toString('utf8');
  const path = str(o[field]);
  if (path === '') return undefined;
  return readFileSync(isAbsolute(path) ? path : join(dirname(file), path), 'utf8');
}

function userAuthorization(u: Rec, file: string): () => Promise<string | undefined> {
  const token = str(u['token']);
  if (token !== '') return () => Promise.resolve(`Bearer ${token}`);
  const tokenFile = str(u['tokenFile']);
  if (tokenFile !== '') {
    const path = isAbsolute(tokenFile) ? tokenFile : join(dirname(file), tokenFile);
    return () => Promise.resolve(`Bearer ${readFileSync(path, 'utf8').trim()}`);
  }
  const username = str(u['username']);
  if (username !== '') {
    const basic = Buffer.from(`${username}:${str(u['password'])}`).toString('base64');
    return () => Promise.resolve(`Basic ${basic}`);
  }
  return () => Promise.resolve(undefined);
}

// Exec plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin) and auth providers: the client
// library runs and caches them; we take the headers and TLS material it would use.
async function viaClientNode(files: string[], server: string, source: string): Promise<KubeConnection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(files[0] ?? '');
  const tls: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer } = {};
  await kc.applyToHTTPSOptions(tls);
  const text = (v: string | Buffer | undefined): string | undefined =>
    v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : v;
  const certPem = text(tls.cert);
  const keyPem = text(tls.key);
  return {
    server,
    caPem: text(tls.ca),
    insecureSkipTlsVerify: kc.getCurrentCluster()?.skipTLSVerify === true,
    clientCert: certPem !== undefined && keyPem !== undefined ? { certPem, keyPem } : undefined,
    authorization: async () => {
      const fresh: { headers?: Record<string, string> } = {};
      await kc.applyToHTTPSOptions(fresh);
      return fresh.headers?.['Authorization'] ?? fresh.headers?.['authorization'];
    },
    source: `${source} (exec or auth-provider credentials)`,
  };
}
