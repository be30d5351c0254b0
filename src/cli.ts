#!/usr/bin/env node
// Entry point. Source maps ship beside the bundle but are not loaded at start (about 10 MiB of RSS and
// 40 ms for every run); run with NODE_OPTIONS=--enable-source-maps to map a stack trace.
const { runMain } = await import('./main.ts');
const { code, mustExit } = await runMain(process.argv.slice(2));
process.exitCode = code;
// output.json is written by now; after a signal nothing may keep the process (and its restic) alive.
// eslint-disable-next-line no-restricted-syntax -- the one forced exit, after a signal and output.json
if (mustExit) setTimeout(() => process.exit(code), 500).unref();
