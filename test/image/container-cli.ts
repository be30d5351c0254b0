// The image run in place of `node dist/cli.js`: runCli (test/helpers/run-cli.ts) starts this file as
// its `cli` (see inContainer), with the argv and environment the World built from the upstream Function,
// and this process runs them in the container as a job pod would, passing back stdout, stderr, the exit
// code and SIGTERM/SIGINT. The scratch dir the World chose on the host is bind-mounted at the path the
// Function's default names (/stash-tmp, /kubestash-tmp), and every argument that points into it is
// rewritten to that path; everything else is passed verbatim. Other host paths (kubeconfig, key tmpfs,
// local repository) are mounted at the same path, so the arguments that name them stay true.
import { spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE, PODMAN_ENV, RUN_FLAGS, UID } from './podman.ts';

const args = process.argv.slice(2);
const env = process.env;
const scratchAt = env['IMAGE_CHECK_SCRATCH_AT'] ?? '/stash-tmp';
const hostScratch = args.find((a) => a.startsWith('--scratch-dir='))?.slice('--scratch-dir='.length);
if (hostScratch === undefined || hostScratch === '')
  throw new Error('container-cli: no --scratch-dir= in argv');
const mounts = JSON.parse(env['IMAGE_CHECK_MOUNTS'] ?? '[]') as string[];

// The pod's volumes belong to the job's user (fsGroup / emptyDir); here the test (root) made them.
function chownTree(path: string): void {
  chownSync(path, UID, UID);
  if (statSync(path).isDirectory()) for (const n of readdirSync(path)) chownTree(join(path, n));
}

const podmanArgs = ['run', ...RUN_FLAGS];
const name = env['IMAGE_CHECK_NAME'];
podmanArgs.push(...(name === undefined ? ['--rm'] : [`--name=${name}`]));
chownTree(hostScratch);
podmanArgs.push(`--mount=type=bind,src=${hostScratch},dst=${scratchAt}`);
const forwarded = ['KUBECONFIG', 'LOG_LEVEL', 'STASH_VAULT_KEYS_TMPFS'];
for (const k of forwarded) {
  const v = env[k];
  if (v === undefined) continue;
  podmanArgs.push(`--env=${k}=${v}`);
  if (k === 'KUBECONFIG') {
    chownSync(v, UID, UID);
    podmanArgs.push(`--mount=type=bind,src=${v},dst=${v},ro=true`);
  }
  if (k === 'STASH_VAULT_KEYS_TMPFS' && existsSync(v)) mounts.push(v);
}
for (const m of mounts) {
  chownTree(m);
  podmanArgs.push(`--mount=type=bind,src=${m},dst=${m}`);
}
podmanArgs.push(env['IMAGE_CHECK_IMAGE'] ?? IMAGE, ...args.map((a) => a.split(hostScratch).join(scratchAt)));

const child = spawn('podman', podmanArgs, { env: PODMAN_ENV, stdio: 'inherit' });
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => child.kill(sig));
child.on('close', (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128);
});
