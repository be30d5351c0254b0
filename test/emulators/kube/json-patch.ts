// RFC 6902 JSON patch as the apiserver applies it: decoded like patch.go's applyJSPatch (strict
// decode into []jsonPatchOp unless fieldValidation=Ignore, then evanphx/json-patch v4's DecodePatch)
// and applied with v4's semantics, quirks included, because that is what a real server accepts:
// - `add`/`replace` without `value` store null; `replace` of a missing object member adds it;
//   `copy` from a missing member copies null; a path without a leading "/" drops its first segment;
//   negative array indices count from the end;
// - every apply error is a 422 whose message is the generic "the server rejected our request due to
//   an error in our request" (NewGenericServerResponse drops the library's text);
// - `test` without `value` on a missing/null member, or on the root, dereferences a nil pointer in
//   v4: the apiserver's panic recovery answers 500 text/plain (thrown here as ApiserverPanic).
import { canonical, isObject } from './json.ts';
import { badRequest, failure, KubeHttpError, tooLarge } from './status.ts';

// A request that makes the real apiserver panic; the server answers it with 500 text/plain.
export class ApiserverPanic extends Error {
  override name = 'ApiserverPanic';
}

class ApplyError extends Error {}

type Op = Record<string, unknown> | null;
type Container = Record<string, unknown> | unknown[];

const MAX_OPERATIONS = 10000;

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (isObject(v)) return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

// The handler's decode step: 400 with the decoder's message, exactly as patch.go builds it.
export function decodeJsonPatch(body: unknown, fieldValidation: string): Op[] {
  const ignore = fieldValidation === 'Ignore';
  const cannot = (v: unknown, into: string): KubeHttpError => {
    const msg = `json: cannot unmarshal ${goType(v)} into Go ${into}`;
    return new KubeHttpError(badRequest(ignore ? msg : `error decoding patch: ${msg}`));
  };
  if (body === null) return [];
  if (!Array.isArray(body))
    throw cannot(body, ignore ? 'value of type jsonpatch.Patch' : 'value of type []handlers.jsonPatchOp');
  for (const op of body) {
    if (op !== null && !isObject(op))
      throw cannot(op, ignore ? 'value of type jsonpatch.Operation' : 'value of type handlers.jsonPatchOp');
    if (ignore || op === null) continue;
    for (const field of ['op', 'path', 'from'])
      if (op[field] !== undefined && op[field] !== null && typeof op[field] !== 'string')
        throw cannot(op[field], `struct field jsonPatchOp.${field} of type string`);
  }
  if (body.length > MAX_OPERATIONS)
    throw new KubeHttpError(
      tooLarge(`The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${body.length}`),
    );
  return body as Op[];
}

function field(op: Op, name: string): string | undefined {
  const v = op?.[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ApplyError(`${name} is not a string`);
  return v;
}

function required(op: Op, name: string): string {
  const v = field(op, name);
  if (v === undefined) throw new ApplyError(`operation missing ${name} field: missing value`);
  return v;
}

// The op's value: undefined when the member is absent (a nil lazyNode in v4), null when explicit.
function valueOf(op: Op): unknown {
  return op !== null && 'value' in op ? op['value'] : undefined;
}

function decodeKey(k: string): string {
  return k.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));
}

// strconv.Atoi, then v4's negative-index support against `size`.
function arrayIndex(key: string, size: number): number {
  if (!/^[+-]?\d+$/.test(key)) throw new ApplyError(`invalid array index: ${key}`);
  let idx = Number(key);
  if (idx < 0) {
    if (idx < -size) throw new ApplyError(`Unable to access invalid index: ${idx}`);
    idx += size;
  }
  return idx;
}

function get(con: Container, key: string): unknown {
  if (!Array.isArray(con)) return con[key];
  const idx = arrayIndex(key, con.length);
  if (idx >= con.length) throw new ApplyError(`Unable to access invalid index: ${idx}`);
  return con[idx];
}

// findObject: the container of the last path segment; the first segment is never looked at.
function findObject(doc: Container, path: string): [Container, string] | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: Container = doc;
  for (const part of split.slice(1, -1)) {
    let next: unknown;
    try {
      next = get(cur, decodeKey(part));
    } catch {
      return undefined;
    }
    if (!Array.isArray(next) && !isObject(next)) return undefined;
    cur = next;
  }
  return [cur, decodeKey(split[split.length - 1] ?? '')];
}

function find(doc: Container, path: string, what: string): [Container, string] {
  const found = findObject(doc, path);
  if (found === undefined) throw new ApplyError(`${what} does not apply: doc is missing path: ${path}`);
  return found;
}

function addTo(con: Container, key: string, value: unknown): void {
  if (!Array.isArray(con)) {
    con[key] = value;
    return;
  }
  if (key === '-') {
    con.push(value);
    return;
  }
  const idx = arrayIndex(key, con.length + 1);
  if (idx > con.length) throw new ApplyError(`Unable to access invalid index: ${idx}`);
  con.splice(idx, 0, value);
}

function removeFrom(con: Container, key: string): void {
  if (!Array.isArray(con)) {
    if (!(key in con)) throw new ApplyError(`Unable to remove nonexistent key: ${key}: missing value`);
    delete con[key];
    return;
  }
  const idx = arrayIndex(key, con.length);
  if (idx >= con.length) throw new ApplyError(`Unable to access invalid index: ${idx}`);
  con.splice(idx, 1);
}

function test(doc: Container, op: Op): void {
  const path = required(op, 'path');
  const value = valueOf(op);
  if (path === '') {
    if (value === undefined) throw new ApiserverPanic('test of the whole document without a value');
    if (canonical(doc) !== canonical(value)) throw new ApplyError(`testing value ${path} failed`);
    return;
  }
  const [con, key] = find(doc, path, 'test operation');
  const current = get(con, key);
  if (current === undefined || current === null) {
    if (value === undefined) throw new ApiserverPanic(`test of ${path} without a value`);
    if (value !== null) throw new ApplyError(`testing value ${path} failed`);
    return;
  }
  if (value === undefined || canonical(current) !== canonical(value))
    throw new ApplyError(`testing value ${path} failed`);
}

// Applies one operation; returns the (possibly replaced) document.
function applyOp(doc: Container, op: Op): Container {
  const kind = typeof op?.['op'] === 'string' ? op['op'] : 'unknown';
  switch (kind) {
    case 'add': {
      const [con, key] = find(doc, required(op, 'path'), 'add operation');
      addTo(con, key, structuredClone(valueOf(op) ?? null));
      return doc;
    }
    case 'remove': {
      const [con, key] = find(doc, required(op, 'path'), 'remove operation');
      removeFrom(con, key);
      return doc;
    }
    case 'replace': {
      const path = required(op, 'path');
      const value = valueOf(op);
      if (path === '') {
        if (value === undefined) throw new ApiserverPanic('replace of the whole document without a value');
        // A scalar root is silently ignored (v4 wraps a nil error).
        return Array.isArray(value) || isObject(value) ? structuredClone(value) : doc;
      }
      const [con, key] = find(doc, path, 'replace operation');
      get(con, key);
      if (Array.isArray(con)) con[arrayIndex(key, con.length)] = structuredClone(value ?? null);
      else con[key] = structuredClone(value ?? null);
      return doc;
    }
    case 'move': {
      const [from, fromKey] = find(doc, required(op, 'from'), 'move operation');
      const value = get(from, fromKey);
      removeFrom(from, fromKey);
      const [to, toKey] = find(doc, required(op, 'path'), 'move operation');
      addTo(to, toKey, value ?? null);
      return doc;
    }
    case 'copy': {
      const [from, fromKey] = find(doc, required(op, 'from'), 'copy operation');
      const value = get(from, fromKey);
      const [to, toKey] = find(doc, required(op, 'path'), 'copy operation');
      addTo(to, toKey, structuredClone(value ?? null));
      return doc;
    }
    case 'test':
      test(doc, op);
      return doc;
    default:
      throw new ApplyError(`Unexpected kind: ${kind}`);
  }
}

// Applies decoded ops to `target`; any failure is the apiserver's generic 422.
export function applyJsonPatch(target: Container, ops: Op[]): Container {
  let doc = structuredClone(target);
  try {
    for (const op of ops) doc = applyOp(doc, op);
  } catch (err) {
    if (!(err instanceof ApplyError)) throw err;
    throw new KubeHttpError(
      failure(422, 'the server rejected our request due to an error in our request', 'Invalid', {}),
    );
  }
  return doc;
}
