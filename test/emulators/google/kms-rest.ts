// Cloud KMS v1 REST bodies for :encrypt and :decrypt (proto3 JSON: bytes as base64, Int64Value
// checksums as decimal strings), with the service's CRC32C integrity checks on request and response.
import { ApiFailure } from './errors.ts';
import { crc32c } from './crc32c.ts';
import { KEY_NAME, type KmsApi } from './kms.ts';

// Faults a test can switch on to prove the client checks the response checksums.
export interface KmsFaults {
  // :decrypt answers with a plaintextCrc32c that does not match the plaintext.
  wrongPlaintextCrc32c: boolean;
  // :encrypt answers with a ciphertextCrc32c that does not match the ciphertext.
  wrongCiphertextCrc32c: boolean;
  // :encrypt claims it did not verify the plaintextCrc32c the client sent.
  unverifiedPlaintextCrc32c: boolean;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const VERSION_SUFFIX = /\/cryptoKeyVersions\/1$/;

function bytesField(body: Record<string, unknown>, field: string): Buffer | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || !BASE64.test(v)) {
    throw new ApiFailure(
      'INVALID_ARGUMENT',
      `Invalid value at '${field}' (TYPE_BYTES), Base64 decoding failed`,
    );
  }
  return Buffer.from(v, 'base64');
}

function crcField(body: Record<string, unknown>, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new ApiFailure(
      'INVALID_ARGUMENT',
      `Invalid value at '${field}' (TYPE_INT64), ${JSON.stringify(v)}`,
    );
  }
  return n;
}

const snake = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// The service rejects a request whose checksum does not match the data it came with.
function checkCrc(
  data: Buffer | undefined,
  crc: number | undefined,
  field: string,
  crcName: string,
): boolean {
  if (crc === undefined) return false;
  if (crc32c(data ?? Buffer.alloc(0)) !== crc) {
    throw new ApiFailure(
      'INVALID_ARGUMENT',
      `The checksum in field ${snake(crcName)} did not match the data in field ${snake(field)}.`,
    );
  }
  return true;
}

const keyName = (name: string): string => name.replace(VERSION_SUFFIX, '');

export function restEncrypt(
  kms: KmsApi,
  name: string,
  body: Record<string, unknown>,
  faults: KmsFaults,
): Record<string, unknown> {
  const key = keyName(name);
  if (!KEY_NAME.test(key)) throw new ApiFailure('INVALID_ARGUMENT', `Resource name [${name}] is not valid.`);
  const plaintext = bytesField(body, 'plaintext') ?? Buffer.alloc(0);
  const aad = bytesField(body, 'additionalAuthenticatedData');
  const verified = checkCrc(plaintext, crcField(body, 'plaintextCrc32c'), 'plaintext', 'plaintextCrc32c');
  const verifiedAad = checkCrc(
    aad,
    crcField(body, 'additionalAuthenticatedDataCrc32c'),
    'additionalAuthenticatedData',
    'additionalAuthenticatedDataCrc32c',
  );
  const { versionName, ciphertext } = kms.encrypt(key, plaintext, aad);
  const crc = crc32c(ciphertext);
  return {
    name: versionName,
    ciphertext: ciphertext.toString('base64'),
    ciphertextCrc32c: String(faults.wrongCiphertextCrc32c ? (crc + 1) % 2 ** 32 : crc),
    verifiedPlaintextCrc32c: verified && !faults.unverifiedPlaintextCrc32c,
    verifiedAdditionalAuthenticatedDataCrc32c: verifiedAad,
    protectionLevel: 'SOFTWARE',
  };
}

export function restDecrypt(
  kms: KmsApi,
  name: string,
  body: Record<string, unknown>,
  faults: KmsFaults,
): Record<string, unknown> {
  if (!KEY_NAME.test(name)) throw new ApiFailure('INVALID_ARGUMENT', `Resource name [${name}] is not valid.`);
  const ciphertext = bytesField(body, 'ciphertext') ?? Buffer.alloc(0);
  const aad = bytesField(body, 'additionalAuthenticatedData');
  checkCrc(ciphertext, crcField(body, 'ciphertextCrc32c'), 'ciphertext', 'ciphertextCrc32c');
  checkCrc(
    aad,
    crcField(body, 'additionalAuthenticatedDataCrc32c'),
    'additionalAuthenticatedData',
    'additionalAuthenticatedDataCrc32c',
  );
  const plaintext = kms.decrypt(name, ciphertext, aad);
  const crc = crc32c(plaintext);
  return {
    plaintext: plaintext.toString('base64'),
    plaintextCrc32c: String(faults.wrongPlaintextCrc32c ? (crc + 1) % 2 ** 32 : crc),
    usedPrimary: true,
    protectionLevel: 'SOFTWARE',
  };
}
