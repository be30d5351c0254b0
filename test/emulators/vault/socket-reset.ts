// Connection-reset fault helper shared by the snapshot stream and the TCP fronts.
import type { Socket } from 'node:net';

// Destroys a socket with a TCP RST when possible (plain TCP), else a plain destroy (TLS sockets).
export function resetSocket(socket: Socket | null): void {
  if (socket === null || socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
