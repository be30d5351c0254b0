// In-memory AWS KMS (TrentService) with real symmetric encryption: each key has a random AES-256
// key; a ciphertext blob carries the key id and is sealed with AES-256-GCM whose additional data is
// the key id plus the canonical encryption context, so decrypting with another key or another (or no)
// context fails exactly where AWS fails: InvalidCiphertextException.
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { AwsFault, validation } from './fault.ts';

export const ACCOUNT = '111122223333';
const MAGIC = Buffer.from('EKMS1');
const MAX_PLAINTEXT = 4096;

interface KmsKey {
  id: string;
  arn: string;
  material: Buffer;
}

export type EncryptionContext = Record<string, string>;

export interface KmsApi {
  readonly region: string;
  // Creates a key (and optional alias) and returns its key id.
  createKey(alias?: string): string;
  keyArn(keyId: string): string;
  encrypt(keyRef: string, plaintext: Buffer, context: EncryptionContext): { blob: Buffer; keyArn: string };
  decrypt(blob: Buffer, context: EncryptionContext, keyRef?: string): { plaintext: Buffer; keyArn: string };
}

// AWS binds the context independent of key order.
function canonicalContext(context: EncryptionContext): string {
  return JSON.stringify(
    Object.keys(context)
      .sort()
      .map((k) => [k, context[k]]),
  );
}

function aad(keyId: string, context: EncryptionContext): Buffer {
  return Buffer.from(`${keyId}\n${canonicalContext(context)}`);
}

const invalidCiphertext = (): AwsFault => new AwsFault('InvalidCiphertextException', '');

export function createKms(region: string): KmsApi {
  const keys = new Map<string, KmsKey>();
  const aliases = new Map<string, string>();

  // Key id, key ARN, alias name or alias ARN, as every KMS KeyId parameter accepts.
  function resolve(ref: string): KmsKey {
    const aliasPrefix = `arn:aws:kms:${region}:${ACCOUNT}:`;
    const bare = ref.startsWith(aliasPrefix) ? ref.slice(aliasPrefix.length) : ref;
    if (bare.startsWith('alias/')) {
      const id = aliases.get(bare);
      const key = id === undefined ? undefined : keys.get(id);
      if (key === undefined)
        throw new AwsFault('NotFoundException', `Alias ${aliasPrefix}${bare} is not found.`);
      return key;
    }
    const id = bare.startsWith('key/') ? bare.slice(4) : bare;
    const key = keys.get(id);
    if (key === undefined)
      throw new AwsFault('NotFoundException', `Key '${aliasPrefix}key/${id}' does not exist`);
    return key;
  }

  return {
    region,
    createKey(alias) {
      const id = randomUUID();
      keys.set(id, { id, arn: `arn:aws:kms:${region}:${ACCOUNT}:key/${id}`, material: randomBytes(32) });
      if (alias !== undefined) aliases.set(alias, id);
      return id;
    },
    keyArn: (keyId) => resolve(keyId).arn,
    encrypt(keyRef, plaintext, context) {
      if (plaintext.length < 1 || plaintext.length > MAX_PLAINTEXT) {
        throw validation(
          `1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and ${MAX_PLAINTEXT}`,
        );
      }
      const key = resolve(keyRef);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key.material, iv);
      cipher.setAAD(aad(key.id, context));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const id = Buffer.from(key.id);
      const blob = Buffer.concat([MAGIC, Buffer.from([id.length]), id, iv, cipher.getAuthTag(), body]);
      return { blob, keyArn: key.arn };
    },
    decrypt(blob, context, keyRef) {
      if (blob.length < MAGIC.length + 1 || !blob.subarray(0, MAGIC.length).equals(MAGIC))
        throw invalidCiphertext();
      const idLen = blob[MAGIC.length] ?? 0;
      let at = MAGIC.length + 1;
      const keyId = blob.subarray(at, (at += idLen)).toString();
      const iv = blob.subarray(at, (at += 12));
      const tag = blob.subarray(at, (at += 16));
      if (tag.length !== 16) throw invalidCiphertext();
      const key = keys.get(keyId);
      if (key === undefined) throw invalidCiphertext();
      if (keyRef !== undefined && resolve(keyRef).id !== key.id) {
        throw new AwsFault(
          'IncorrectKeyException',
          'The key ID in the request does not identify a CMK that can perform this operation.',
        );
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key.material, iv);
        decipher.setAAD(aad(key.id, context));
        decipher.setAuthTag(tag);
        const plaintext = Buffer.concat([decipher.update(blob.subarray(at)), decipher.final()]);
        return { plaintext, keyArn: key.arn };
      } catch {
        throw invalidCiphertext();
      }
    },
  };
}
