#!/usr/bin/env node
// Entry point. Source maps for our own code only: --enable-source-maps would also parse every map
// under node_modules at load time (about 16 MiB of RSS and 0.3 s for @kubernetes/client-node alone).
import { setSourceMapsSupport } from 'node:module';

setSourceMapsSupport(true, { nodeModules: false });
await import('./main.ts');
