// The JSON 1.1 operations the unsealer layout uses, keyed by X-Amz-Target. Each takes the parsed
// request body and returns the response body, or throws an AwsFault.
import { AwsFault, validation } from './fault.ts';
import type { EncryptionContext, KmsApi } from './kms.ts';
import { isParameterType, type ParameterView, type SsmApi } from './ssm.ts';

export type Operation = (body: Record<string, unknown>) => Record<string, unknown>;

export interface ServiceOperations {
  // SigV4 service name in the credential scope.
  service: 'kms' | 'ssm';
  op: Operation;
}

// A wrong JSON type is a protocol error, not a validation error, in AWS JSON services.
const serialization = (field: string): AwsFault =>
  new AwsFault('SerializationException', `Unexpected value type for ${field}`);

function str(body: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (required) {
      throw validation(
        `1 validation error detected: Value null at '${field[0]!.toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return undefined;
  }
  if (typeof v !== 'string') throw serialization(field);
  return v;
}

function blob(body: Record<string, unknown>, field: string): Buffer {
  const v = str(body, field, true) ?? '';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw serialization(field);
  return Buffer.from(v, 'base64');
}

function context(body: Record<string, unknown>): EncryptionContext {
  const v = body['EncryptionContext'];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw serialization('EncryptionContext');
  const out: EncryptionContext = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') throw serialization('EncryptionContext');
    out[k] = x;
  }
  return out;
}

function flag(body: Record<string, unknown>, field: string): boolean {
  const v = body[field];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw serialization(field);
  return v;
}

// KMS's answer to a valid, permitted DryRun request (HTTP 412, as in the KMS service model).
const dryRunSucceeded = (): AwsFault =>
  new AwsFault(
    'DryRunOperationException',
    'The request would have succeeded, but the DryRun option is set.',
    412,
  );

export function kmsOperations(kms: KmsApi): Record<string, Operation> {
  return {
    'TrentService.Encrypt': (body) => {
      const keyId = str(body, 'KeyId', true) ?? '';
      const { blob: ct, keyArn } = kms.encrypt(keyId, blob(body, 'Plaintext'), context(body));
      // Validation and the key lookup happen first, so a dry run fails exactly where a real call would.
      if (flag(body, 'DryRun')) throw dryRunSucceeded();
      return {
        CiphertextBlob: ct.toString('base64'),
        KeyId: keyArn,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    'TrentService.Decrypt': (body) => {
      const keyId = str(body, 'KeyId', false);
      const { plaintext, keyArn } = kms.decrypt(blob(body, 'CiphertextBlob'), context(body), keyId);
      if (flag(body, 'DryRun')) throw dryRunSucceeded();
      return {
        Plaintext: plaintext.toString('base64'),
        KeyId: keyArn,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
  };
}

export function ssmOperations(ssm: SsmApi, onWrite: () => void): Record<string, Operation> {
  const notFound = (): AwsFault => new AwsFault('ParameterNotFound', '');
  return {
    'AmazonSSM.PutParameter': (body) => {
      onWrite();
      const type = body['Type'];
      if (type !== undefined && !isParameterType(type)) {
        throw validation(
          `1 validation error detected: Value '${String(type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
        );
      }
      const overwrite = body['Overwrite'];
      if (overwrite !== undefined && typeof overwrite !== 'boolean') throw serialization('Overwrite');
      const version = ssm.put({
        name: str(body, 'Name', true) ?? '',
        value: str(body, 'Value', true) ?? '',
        type,
        overwrite,
        description: str(body, 'Description', false),
      });
      return { Version: version, Tier: 'Standard' };
    },
    'AmazonSSM.GetParameter': (body) => {
      const p = ssm.get(str(body, 'Name', true) ?? '');
      if (p === undefined) throw notFound();
      return { Parameter: ssm.view(p) };
    },
    'AmazonSSM.GetParameters': (body) => {
      const names = body['Names'];
      if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw serialization('Names');
      if (names.length < 1 || names.length > 10) {
        throw validation(
          `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1`,
        );
      }
      const found: ParameterView[] = [];
      const invalid: string[] = [];
      for (const name of new Set(names as string[])) {
        const p = ssm.get(name);
        if (p === undefined) invalid.push(name);
        else found.push(ssm.view(p));
      }
      return { Parameters: found, InvalidParameters: invalid };
    },
  };
}
