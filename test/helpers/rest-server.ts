// A real restic rest-server (Debian 13 package) on loopback, for the REST repository backend.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:net';
import { freePort } from './free-port.ts';

export interface RestServer {
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startRestServer(bin: string): Promise<RestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rest-server-'));
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['--path', dataDir, '--listen', `127.0.0.1:${port}`, '--no-auth'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    if (await canConnect(port)) break;
    await sleep(50);
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    dataDir,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      // Repositories of a 1 GiB benchmark weigh gigabytes: never leave them behind.
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
