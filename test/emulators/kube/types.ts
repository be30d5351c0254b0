// Public shapes of the Kubernetes API emulator; e2e tests and other emulators depend on exactly these.

// Any stored API object; the emulator treats everything past apiVersion/kind/metadata as opaque JSON.
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

// Options for startKubeEmulator; `user` is an addition used only in 403 messages.
export interface KubeEmulatorOptions {
  token?: string;
  crdDir?: string;
  user?: string;
}

// One injected API failure (see KubeEmulator.failNext).
export interface FailRule {
  method?: string;
  pathIncludes: string;
  status: number;
  reason?: string;
  message?: string;
  times?: number;
}

// One RBAC denial (see KubeEmulator.forbid); resource may name a subresource, e.g. "backupsessions/status".
export interface ForbidRule {
  verb: string;
  resource: string;
  namespace?: string;
}

// One logged request; bodies are never recorded because they carry secrets.
export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  contentType?: string;
}

// A running emulator bound to 127.0.0.1 over HTTPS.
export interface KubeEmulator {
  url: string;
  caPem: string;
  token: string;
  kubeconfigYaml(namespace?: string): string;
  writeKubeconfig(path: string, namespace?: string): void;
  put(obj: KubeObject): KubeObject;
  get(apiVersion: string, kind: string, namespace: string, name: string): KubeObject | undefined;
  remove(apiVersion: string, kind: string, namespace: string, name: string): void;
  failNext(rule: FailRule): void;
  conflictNextStatusWrites(n: number): void;
  forbid(rule: ForbidRule): void;
  requests(): RequestRecord[];
  onRequest(fn: (method: string, path: string) => void): void;
  close(): Promise<void>;
}
