// Merge-style PATCH bodies: RFC 7386 merge patch (evanphx/json-patch v4's MergePatch) and strategic
// merge on built-in kinds (handled as a merge patch), decoded the way patch.go decodes them.
// JSON patch lives in json-patch.ts.
import { isObject } from './json.ts';
import { badRequest, KubeHttpError } from './status.ts';

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

// Null members vanish from objects set by a merge patch, also inside arrays (pruneNulls).
function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((item) => (item === null ? null : pruneNulls(item)));
  if (!isObject(v)) return structuredClone(v);
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, pruneNulls(x)]),
  );
}

// RFC 7386: objects merge recursively, null deletes, anything else (arrays too) replaces.
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return pruneNulls(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = isObject(out[k]) && isObject(v) ? mergePatch(out[k], v) : pruneNulls(v);
  }
  return out;
}

// A merge patch body must be a JSON object: the strict pre-decode into map[string]interface{}
// rejects anything else ("error decoding patch: ..."), and v4's MergePatch calls null "Invalid JSON Patch".
export function decodeMergePatch(body: unknown, fieldValidation: string): Record<string, unknown> {
  if (isObject(body)) return body;
  if (body === null || fieldValidation === 'Ignore')
    throw new KubeHttpError(badRequest('Invalid JSON Patch'));
  throw new KubeHttpError(
    badRequest(
      `error decoding patch: json: cannot unmarshal ${goType(body)} into Go value of type map[string]interface {}`,
    ),
  );
}

// A strategic merge patch body is decoded straight into map[string]interface{} (no prefix); null
// decodes to an empty patch.
export function decodeStrategicPatch(body: unknown): Record<string, unknown> {
  if (body === null) return {};
  if (isObject(body)) return body;
  throw new KubeHttpError(
    badRequest(`json: cannot unmarshal ${goType(body)} into Go value of type map[string]interface {}`),
  );
}
