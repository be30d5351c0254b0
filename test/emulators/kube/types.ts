// Public shapes of the Kubernetes API emulator; e2e tests and other emulators depend on exactly these.

// Any stored API object; the emulator treats everything past apiVersion/kind/metadata as opaque JSON.
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

// How the default token's user is authorized; users from addUser() are always RBAC-checked.
export type AuthorizationMode = 'rbac' | 'allow-all';

// Options for startKubeEmulator.
export interface KubeEmulatorOptions {
  // Bearer token of the default user (random when left out).
  token?: string;
  crdDir?: string;
  // Folders of CRDs that replace the same group/version/plural from crdDir.
  crdOverrideDirs?: string[];
  // Name of the default token's user; default system:serviceaccount:default:stash-vault.
  user?: string;
  // 'allow-all' (default) lets the default user do anything but forbid() denials; 'rbac' checks it
  // against the stored Roles/ClusterRoles and their bindings like every addUser() user.
  authorization?: AuthorizationMode;
}

// One injected API failure (see KubeEmulator.failNext).
export interface FailRule {
  method?: string;
  pathIncludes: string;
  status: number;
  reason?: string;
  message?: string;
  times?: number;
  // Sent as details.retryAfterSeconds and the Retry-After header; 429 defaults to 1, 0 sends none.
  retryAfterSeconds?: number;
}

// One RBAC denial on top of RBAC (see KubeEmulator.forbid); resource may name a subresource,
// e.g. "backupsessions/status".
export interface ForbidRule {
  verb: string;
  resource: string;
  namespace?: string;
}

// Which requests a network fault hits: path substring, optional method, `times` matches (default 1).
export interface NetRule {
  pathIncludes: string;
  method?: string;
  times?: number;
}

// A network fault that answers late (see KubeEmulator.delayNext).
export interface DelayRule extends NetRule {
  ms: number;
}

// One logged request; bodies are never recorded because they carry secrets.
export interface RequestRecord {
  method: string;
  path: string;
  // 0 when no response was sent (blackhole, reset).
  status: number;
  contentType?: string;
  // The authenticated user; absent on 401 and on requests a network fault swallowed first.
  user?: string;
  // Set on a server-side dry-run (?dryRun=All) that was handled as one.
  dryRun?: true;
  // The network fault that hit the request.
  fault?: 'blackhole' | 'reset' | 'delay';
}

// A running emulator bound to 127.0.0.1 over HTTPS.
export interface KubeEmulator {
  url: string;
  caPem: string;
  // The default user's bearer token.
  token: string;
  // Registers a bearer token for `name` (RBAC-checked whatever the mode) and returns it. Service
  // account names (system:serviceaccount:<ns>:<sa>) get the service-account groups; every user is in
  // system:authenticated; `groups` adds more (e.g. system:masters for cluster-admin).
  addUser(name: string, groups?: string[]): string;
  // A kubeconfig for the default token, or for `token` (from addUser).
  kubeconfigYaml(namespace?: string, token?: string): string;
  writeKubeconfig(path: string, namespace?: string, token?: string): void;
  put(obj: KubeObject): KubeObject;
  get(apiVersion: string, kind: string, namespace: string, name: string): KubeObject | undefined;
  remove(apiVersion: string, kind: string, namespace: string, name: string): void;
  failNext(rule: FailRule): void;
  conflictNextStatusWrites(n: number): void;
  forbid(rule: ForbidRule): void;
  // While on, requests are read but never answered (the socket stays open until the client gives up
  // or close() runs).
  blackhole(on: boolean): void;
  // The next matching request(s) get their connection destroyed without any response.
  resetNext(rule: NetRule): void;
  // The next matching request(s) are answered normally, but only after `ms`.
  delayNext(rule: DelayRule): void;
  requests(): RequestRecord[];
  onRequest(fn: (method: string, path: string) => void): void;
  close(): Promise<void>;
}
