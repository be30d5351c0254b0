// Entry point of the Kubernetes API emulator used by e2e tests (see server.ts, fixtures.ts and
// stash-rbac.ts).
export { startKubeEmulator } from './server.ts';
export type {
  AuthorizationMode,
  DelayRule,
  FailRule,
  ForbidRule,
  KubeEmulator,
  KubeEmulatorOptions,
  KubeObject,
  NetRule,
  RequestRecord,
} from './types.ts';
