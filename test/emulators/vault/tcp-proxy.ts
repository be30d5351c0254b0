// Kubernetes-Service-like fronts: raw TCP proxies (TLS passes through end to end). Each new client
// connection goes to the port `pickPort()` names at that moment; resets on one side reset the other.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { resetSocket } from './socket-reset.ts';

export interface TcpProxy {
  port: number;
  close(): Promise<void>;
}

// Starts a proxy on 127.0.0.1:0; `onUpstream` learns the local port of each upstream socket (to tag requests)
// and returns a callback run when that socket closes.
export async function startTcpProxy(
  pickPort: () => number,
  onUpstream: (localPort: number) => () => void,
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server: Server = createServer((client) => {
    track(client);
    const upstream = connect({ host: '127.0.0.1', port: pickPort() });
    track(upstream);
    upstream.once('connect', () => {
      const untag = onUpstream(upstream.localPort ?? -1);
      upstream.once('close', () => untag());
    });
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.on('error', () => resetSocket(client));
    client.on('error', () => resetSocket(upstream));
    client.once('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
