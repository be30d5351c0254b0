// SHA256SUMS.sealed stand-in: the sums encrypted with the cluster's seal key (AES-256-GCM), so only the same
// cluster can open it on a non-force restore, like Vault's seal-wrapped BlobInfo (vault-snapshot-api.md §3).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const MAGIC = Buffer.from('EMUSEAL1', 'ascii');

// Stable identifier of a seal key; stored in core/emu-seal so a restored snapshot names its own seal.
export function sealKeyId(sealKey: Buffer): string {
  return createHash('sha256').update('emu-seal-key-id:').update(sealKey).digest('hex');
}

// Seals the SHA256SUMS text: MAGIC || nonce(12) || ciphertext || tag(16).
export function sealSums(sealKey: Buffer, sums: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey, nonce);
  const body = Buffer.concat([cipher.update(sums), cipher.final()]);
  return Buffer.concat([MAGIC, nonce, body, cipher.getAuthTag()]);
}

// Opens a sealed blob; throws (like sealer.Open) when it is empty, malformed or from another seal key.
export function openSealedSums(sealKey: Buffer, blob: Buffer): Buffer {
  if (blob.length === 0) throw new Error('error decrypting seal wrapped value: empty ciphertext');
  if (blob.length < MAGIC.length + 28 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('failed to unmarshal blob info: proto: cannot parse invalid wire-format data');
  }
  const nonce = blob.subarray(MAGIC.length, MAGIC.length + 12);
  const tag = blob.subarray(blob.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', sealKey, nonce);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([
      decipher.update(blob.subarray(MAGIC.length + 12, blob.length - 16)),
      decipher.final(),
    ]);
  } catch {
    throw new Error('cipher: message authentication failed');
  }
}
