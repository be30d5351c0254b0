// Entry point of the Kubernetes API emulator used by e2e tests (see server.ts and fixtures.ts).
export { startKubeEmulator } from './server.ts';
export type {
  FailRule,
  ForbidRule,
  KubeEmulator,
  KubeEmulatorOptions,
  KubeObject,
  RequestRecord,
} from './types.ts';
