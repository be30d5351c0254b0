// In-memory AWS Systems Manager Parameter Store: versioned parameters with the validation and errors
// of PutParameter / GetParameter / GetParameters that KubeVault's unsealer layout touches.
import { AwsFault, validation } from './fault.ts';
import { ACCOUNT } from './kms.ts';

export type ParameterType = 'String' | 'StringList' | 'SecureString';

export interface Parameter {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  description: string;
  lastModified: Date;
}

export interface PutRequest {
  name: string;
  value: string;
  type?: ParameterType | undefined;
  overwrite?: boolean | undefined;
  description?: string | undefined;
}

// The wire form of a parameter, as GetParameter(s) return it.
export interface ParameterView {
  Name: string;
  Type: ParameterType;
  Value: string;
  Version: number;
  LastModifiedDate: number;
  ARN: string;
  DataType: 'text';
}

export interface SsmApi {
  put(req: PutRequest): number;
  get(name: string): Parameter | undefined;
  view(p: Parameter): ParameterView;
  names(): string[];
}

const TYPES: readonly string[] = ['String', 'StringList', 'SecureString'];
const MAX_VALUE = 4096; // Standard tier

export const isParameterType = (t: unknown): t is ParameterType => typeof t === 'string' && TYPES.includes(t);

const NAME_RULES =
  'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';
// The documented 1011-character limit counts the parameter ARN prefix too.
const MAX_WITH_ARN = 1011;

// Names: letters, digits and _.-/, not beginning with aws/ssm (any case); a name with a `/` must be fully
// qualified (start with `/`), with non-empty sub-paths, at most 15 levels deep.
export function checkName(name: string, region: string): void {
  const arnPrefix = `arn:aws:ssm:${region}:${ACCOUNT}:parameter${name.startsWith('/') ? '' : '/'}`;
  if (name.length < 1 || arnPrefix.length + name.length > MAX_WITH_ARN) {
    throw validation(
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 2048`,
    );
  }
  if (!/^[a-zA-Z0-9_./-]+$/.test(name) || /^\/?(aws|ssm)/i.test(name)) throw validation(NAME_RULES);
  if (name.includes('/') && !name.startsWith('/')) {
    throw validation('Parameter name must be a fully qualified name.');
  }
  if (name.slice(1).split('/').includes('')) throw validation(NAME_RULES);
  if (name.split('/').length - 1 > 15) {
    throw validation('The parameter name hierarchy depth must not exceed 15 levels.');
  }
}

export function createSsm(region: string): SsmApi {
  const params = new Map<string, Parameter>();
  return {
    put(req) {
      checkName(req.name, region);
      if (req.value.length < 1 || Buffer.byteLength(req.value) > MAX_VALUE) {
        throw validation(
          `1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length between 1 and ${MAX_VALUE}`,
        );
      }
      const old = params.get(req.name);
      if (old !== undefined && req.overwrite !== true) {
        throw new AwsFault(
          'ParameterAlreadyExists',
          'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
        );
      }
      const type = req.type ?? old?.type;
      if (type === undefined) throw validation('A parameter type is required when you create a parameter.');
      if (old !== undefined && req.type !== undefined && req.type !== old.type) {
        throw new AwsFault(
          'HierarchyTypeMismatchException',
          "Parameter Store doesn't support changing a parameter type in a hierarchy. You must create a new, unique parameter.",
        );
      }
      const version = (old?.version ?? 0) + 1;
      params.set(req.name, {
        name: req.name,
        type,
        value: req.value,
        version,
        description: req.description ?? old?.description ?? '',
        lastModified: new Date(),
      });
      return version;
    },
    get: (name) => params.get(name),
    view: (p) => ({
      Name: p.name,
      Type: p.type,
      Value: p.value,
      Version: p.version,
      LastModifiedDate: p.lastModified.getTime() / 1000,
      ARN: `arn:aws:ssm:${region}:${ACCOUNT}:parameter${p.name.startsWith('/') ? '' : '/'}${p.name}`,
      DataType: 'text',
    }),
    names: () => [...params.keys()].sort(),
  };
}
