// Cloud KMS symmetric keys with real encryption: AES-256-GCM under a random secret per CryptoKey,
// the key name bound in as associated data, so a ciphertext made by another key (or tampered with)
// fails to decrypt exactly where Google's would.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ApiFailure } from './errors.ts';

const MAX_PLAINTEXT = 64 * 1024;
const MAX_CIPHERTEXT = 10 * 1024 * 1024;
const FORMAT = 0x01;
const IV = 12;
const TAG = 16;
export const KEY_NAME = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
// The message Cloud KMS gives for a ciphertext it cannot open with the named key.
export const DECRYPTION_FAILED = "Decryption failed: verify that 'name' refers to the correct CryptoKey.";

export interface KmsApi {
  createKey(name: string): void;
  has(name: string): boolean;
  keys(): string[];
  encrypt(name: string, plaintext: Buffer, aad?: Buffer): { versionName: string; ciphertext: Buffer };
  decrypt(name: string, ciphertext: Buffer, aad?: Buffer): Buffer;
}

const associated = (name: string, aad: Buffer | undefined): Buffer =>
  Buffer.concat([Buffer.from(`${name}\0`), aad ?? Buffer.alloc(0)]);

export function createKms(): KmsApi {
  const secrets = new Map<string, Buffer>();
  const secretOf = (name: string): Buffer => {
    const s = secrets.get(name);
    if (s === undefined) throw new ApiFailure('NOT_FOUND', `CryptoKey ${name} not found.`, 'notFound');
    return s;
  };
  return {
    createKey(name) {
      if (!KEY_NAME.test(name)) throw new Error(`not a CryptoKey name: ${name}`);
      if (!secrets.has(name)) secrets.set(name, randomBytes(32));
    },
    has: (name) => secrets.has(name),
    keys: () => [...secrets.keys()],
    encrypt(name, plaintext, aad) {
      const secret = secretOf(name);
      if (plaintext.length === 0) throw new ApiFailure('INVALID_ARGUMENT', 'plaintext is required.');
      if (plaintext.length > MAX_PLAINTEXT) {
        throw new ApiFailure('INVALID_ARGUMENT', `plaintext must be at most ${MAX_PLAINTEXT} bytes.`);
      }
      const iv = randomBytes(IV);
      const c = createCipheriv('aes-256-gcm', secret, iv);
      c.setAAD(associated(name, aad));
      const body = Buffer.concat([c.update(plaintext), c.final()]);
      return {
        versionName: `${name}/cryptoKeyVersions/1`,
        ciphertext: Buffer.concat([Buffer.of(FORMAT), iv, c.getAuthTag(), body]),
      };
    },
    decrypt(name, ciphertext, aad) {
      const secret = secretOf(name);
      if (ciphertext.length === 0) throw new ApiFailure('INVALID_ARGUMENT', 'ciphertext is required.');
      if (ciphertext.length > MAX_CIPHERTEXT) {
        throw new ApiFailure('INVALID_ARGUMENT', `ciphertext must be at most ${MAX_CIPHERTEXT} bytes.`);
      }
      if (ciphertext.length < 1 + IV + TAG || ciphertext[0] !== FORMAT) {
        throw new ApiFailure('INVALID_ARGUMENT', DECRYPTION_FAILED);
      }
      try {
        const d = createDecipheriv('aes-256-gcm', secret, ciphertext.subarray(1, 1 + IV));
        d.setAAD(associated(name, aad));
        d.setAuthTag(ciphertext.subarray(1 + IV, 1 + IV + TAG));
        return Buffer.concat([d.update(ciphertext.subarray(1 + IV + TAG)), d.final()]);
      } catch {
        throw new ApiFailure('INVALID_ARGUMENT', DECRYPTION_FAILED);
      }
    },
  };
}
