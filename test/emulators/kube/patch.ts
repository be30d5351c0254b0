// PATCH bodies: RFC 7386 merge patch (also used for strategic merge on built-in kinds) and RFC 6902
// JSON patch, failing the way the apiserver's patcher does.
import { isObject } from './json.ts';
import { badRequest, failure, KubeHttpError } from './status.ts';

// RFC 7386: objects merge recursively, null deletes, anything else (arrays too) replaces.
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface Op {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`JSON pointer must be empty or start with a "/": ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(
  doc: unknown,
  tokens: string[],
  path: string,
): [Record<string, unknown> | unknown[], string] {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw new Error(`doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new Error(`doc is missing path: "${path}": missing value`);
  return [cur, tokens[tokens.length - 1] ?? ''];
}

function index(arr: unknown[], key: string, allowEnd: boolean, path: string): number {
  const i = key === '-' && allowEnd ? arr.length : Number(key);
  if (!/^(0|[1-9]\d*)$/.test(key) && !(key === '-' && allowEnd))
    throw new Error(`invalid array index: ${key}`);
  if (i > arr.length || (!allowEnd && i >= arr.length))
    throw new Error(`Unable to access invalid index: ${i}: invalid index referenced: ${path}`);
  return i;
}

function read(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const t of pointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw new Error(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return structuredClone(value);
  const [parent, key] = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(index(parent, key, true, path), 0, structuredClone(value));
  else parent[key] = structuredClone(value);
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const [parent, key] = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) parent.splice(index(parent, key, false, path), 1);
  else if (!(key in parent)) throw new Error(`Unable to remove nonexistent key: ${key}: missing value`);
  else delete parent[key];
  return doc;
}

function applyOp(doc: unknown, o: Op): unknown {
  switch (o.op) {
    case 'add':
      return add(doc, o.path, o.value);
    case 'remove':
      return remove(doc, o.path);
    case 'replace':
      read(doc, o.path);
      return add(remove(doc, o.path), o.path, o.value);
    case 'test':
      if (JSON.stringify(read(doc, o.path)) !== JSON.stringify(o.value))
        throw new Error(`testing value ${o.path} failed: test failed`);
      return doc;
    case 'move': {
      const v = read(doc, o.from ?? '');
      return add(remove(doc, o.from ?? ''), o.path, v);
    }
    case 'copy':
      return add(doc, o.path, read(doc, o.from ?? ''));
    default:
      throw new Error(`Unexpected kind: ${o.op}`);
  }
}

// Applies a JSON patch body; a non-array body is a 400, a failing op a 422 (apiserver patcher behaviour).
export function jsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw new KubeHttpError(
      badRequest(
        `json: cannot unmarshal ${patch === null ? 'null' : typeof patch} into Go value of type jsonpatch.Patch`,
      ),
    );
  }
  let doc = structuredClone(target);
  try {
    for (const o of patch as Op[]) doc = applyOp(doc, o);
  } catch (err) {
    if (err instanceof KubeHttpError) throw err;
    const status = failure(
      422,
      'the server rejected our request due to an error in our request',
      'Invalid',
      {},
    );
    throw new KubeHttpError(status);
  }
  return doc;
}
