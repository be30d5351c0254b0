// Server-side dry-run: the write options' validation (422 on a dryRun other than "All", as
// ValidateDryRun/NewInvalid answer) and a storage view that computes every write and keeps none,
// following k8s.io/apiserver's DryRunnableStorage: a dry-run create carries no resourceVersion, a
// dry-run update keeps the current one, a dry-run delete removes nothing.
import { goQuote } from './go-text.ts';
import type { ResourceDef } from './resources.ts';
import { invalidKind, KubeHttpError, type StatusCause } from './status.ts';
import { stampNew, stampUpdate, type StoreView } from './store.ts';
import type { KubeObject } from './types.ts';

// The options kind each write verb decodes its query into (names the 422).
export type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

const FIELD_VALIDATION = ['', 'Ignore', 'Strict', 'Warn'];

// The write options the emulator honours, validated like ValidateCreateOptions & co.
export interface WriteOptions {
  dryRun: boolean;
  // '' (the apiserver then behaves as for Warn), Ignore, Strict or Warn.
  fieldValidation: string;
}

// Reads dryRun/fieldValidation (DELETE may also carry dryRun in its body) and answers the
// apiserver's 422 for values it does not support: dryRun only "All", fieldValidation only the known three.
export function writeOptions(query: URLSearchParams, kind: OptionsKind, bodyDryRun?: unknown): WriteOptions {
  const dryRun = Array.isArray(bodyDryRun) ? bodyDryRun.map(String) : query.getAll('dryRun');
  const fieldValidation = query.get('fieldValidation') ?? '';
  const causes: StatusCause[] = [];
  if (dryRun.some((v) => v !== 'All')) {
    const message = `Unsupported value: []string{${dryRun.map(goQuote).join(', ')}}: supported values: "All"`;
    causes.push({ reason: 'FieldValueNotSupported', message, field: 'dryRun' });
  }
  if (kind !== 'DeleteOptions' && !FIELD_VALIDATION.includes(fieldValidation)) {
    const supported = FIELD_VALIDATION.map(goQuote).join(', ');
    const message = `Unsupported value: ${goQuote(fieldValidation)}: supported values: ${supported}`;
    causes.push({ reason: 'FieldValueNotSupported', message, field: 'fieldValidation' });
  }
  if (causes.length > 0) throw new KubeHttpError(invalidKind({ group: 'meta.k8s.io', kind }, '', causes));
  return { dryRun: dryRun.length > 0, fieldValidation };
}

// Whether a write asks for a valid dry-run (query, or a DELETE body's DeleteOptions): what the request
// log records, whatever the outcome (a dry-run refused with 403 is still a dry-run).
export function asksDryRun(method: string, query: URLSearchParams, raw: string): boolean {
  if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) return false;
  let values = query.getAll('dryRun');
  if (method === 'DELETE' && raw.trim() !== '') {
    try {
      const body: unknown = JSON.parse(raw);
      const fromBody = (body as { dryRun?: unknown } | null)?.dryRun;
      if (Array.isArray(fromBody)) values = fromBody.map(String);
    } catch {
      // an undecodable body fails later with its own 400
    }
  }
  return values.length > 0 && values.every((v) => v === 'All');
}

// Reads go to the real store; writes return what the real store would have returned.
export class DryRunStore implements StoreView {
  readonly #store: StoreView;

  constructor(store: StoreView) {
    this.#store = store;
  }

  revision(): string {
    return this.#store.revision();
  }

  find(def: ResourceDef, namespace: string, name: string): KubeObject | undefined {
    return this.#store.find(def, namespace, name);
  }

  list(def: ResourceDef, namespace: string | undefined): KubeObject[] {
    return this.#store.list(def, namespace);
  }

  insert(def: ResourceDef, obj: KubeObject): KubeObject {
    return stampNew(def, obj, undefined);
  }

  update(def: ResourceDef, old: KubeObject, next: KubeObject): KubeObject {
    return stampUpdate(def, old, next, String(old.metadata['resourceVersion'] ?? ''));
  }

  // A dry-run never races a concurrent writer, so injected status conflicts do not apply.
  touch(): void {}

  delete(def: ResourceDef, namespace: string, name: string): KubeObject | undefined {
    return this.#store.find(def, namespace, name);
  }

  namespaces(): string[] {
    return this.#store.namespaces();
  }
}
