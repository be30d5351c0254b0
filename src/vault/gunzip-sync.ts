// Gunzip on the calling thread, in step with the caller, into one reused output buffer. zlib streams run
// every write on the libuv threadpool: a thread hop per batch, a new output Buffer per chunk, and glibc
// malloc arenas in those threads that keep their memory (measured: 10-15 MiB more RSS, 0.4 CPU-s more
// per GiB). This drives the stream's own zlib handle the way Node's zlibSync functions do, without the
// close at the end that makes those one-shot. Node 24 internals: checked at construction.
import { constants, createGunzip, type Gunzip } from 'node:zlib';

interface ZlibHandle {
  writeSync(
    flush: number,
    input: Buffer,
    inOff: number,
    inLen: number,
    out: Buffer,
    outOff: number,
    outLen: number,
  ): void;
}

export class GunzipSync {
  private readonly z: Gunzip;
  private readonly handle: ZlibHandle;
  // [availOutAfter, availInAfter], written by the handle after each writeSync.
  private readonly state: Uint32Array;
  private readonly out: Buffer;

  constructor(outputBytes = 256 * 1024) {
    this.z = createGunzip();
    this.z.on('error', () => undefined); // surfaced synchronously below through `errored`
    const internals = this.z as unknown as { _handle?: Partial<ZlibHandle>; _writeState?: unknown };
    const state = internals._writeState;
    if (typeof internals._handle?.writeSync !== 'function' || !(state instanceof Uint32Array)) {
      throw new Error('this Node.js has no synchronous zlib handle (Node 24 expected)');
    }
    this.handle = internals._handle as ZlibHandle;
    this.state = state;
    this.out = Buffer.allocUnsafeSlow(outputBytes);
  }

  // Decompresses `chunk`, handing each piece of output to `sink` before the buffer is reused.
  write(chunk: Buffer, sink: (out: Buffer) => void): void {
    this.run(chunk, constants.Z_NO_FLUSH, sink);
  }

  // Finishes the stream; throws when it is incomplete (no gzip trailer).
  end(sink: (out: Buffer) => void): void {
    this.run(Buffer.alloc(0), constants.Z_FINISH, sink);
    this.z.close();
  }

  private run(chunk: Buffer, flush: number, sink: (out: Buffer) => void): void {
    let inOff = 0;
    let inLen = chunk.length;
    for (;;) {
      this.handle.writeSync(flush, chunk, inOff, inLen, this.out, 0, this.out.length);
      const error = this.z.errored;
      if (error !== null) throw error;
      const availOut = this.state[0] ?? 0;
      const availIn = this.state[1] ?? 0;
      const produced = this.out.length - availOut;
      if (produced > 0) sink(this.out.subarray(0, produced));
      inOff += inLen - availIn;
      inLen = availIn;
      // Output space left over means zlib took all the input it could.
      if (availOut !== 0) break;
    }
  }
}
