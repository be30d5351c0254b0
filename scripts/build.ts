// Builds dist/: one ES module bundle of the CLI with only the code it uses (loading hundreds of files
// cost about 0.3 s and tens of MiB at every start), the cloud SDKs split into chunks loaded only in their
// own unsealer mode, and those SDKs (and client-node's exec-auth fallback) left in node_modules.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@aws-sdk/*', '@azure/*', '@google-cloud/*', '@kubernetes/client-node'],
  // Bundled CommonJS (undici, pino) requires Node built-ins; ESM has no `require` of its own.
  banner: {
    js: "import { createRequire as __stashVaultRequire } from 'node:module';\nconst require = __stashVaultRequire(import.meta.url);",
  },
  define: { STASH_VAULT_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});
