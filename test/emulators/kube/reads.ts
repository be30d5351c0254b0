// The read verbs (GET one, LIST) and the implicit Namespace objects; shared reply/context types.
import { apiVersionOf } from './resources.ts';
import type { ResourceTarget } from './routes.ts';
import { selectorFrom } from './selectors.ts';
import { KubeHttpError, notFound } from './status.ts';
import type { StatusBody } from './status.ts';
import type { StoreView } from './store.ts';
import type { KubeObject } from './types.ts';

// What a verb handler works with; dispatch builds one per request (dry-run or not).
export interface VerbContext {
  // The real store, or a DryRunStore for ?dryRun=All.
  store: StoreView;
  dryRun: boolean;
  // '' (behaves as Warn), Ignore, Strict or Warn: only changes patch decode messages here.
  fieldValidation: string;
  // True when conflictNextStatusWrites still has a 409 to hand out.
  takeStatusConflict(): boolean;
  // The 403 for a PUT that would create `name`, or undefined when the user may create it.
  forbidCreate(name: string): StatusBody | undefined;
}

// One answer: a JSON body, or (`text`) a plain-text body such as the apiserver's panic message.
export interface Reply {
  status: number;
  body: unknown;
  text?: string;
  dryRun?: boolean;
}

// A Namespace object for namespaces that exist implicitly (the emulator never requires creating one).
function implicitNamespace(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function current(ctx: VerbContext, t: ResourceTarget): KubeObject | undefined {
  const found = ctx.store.find(t.def, t.namespace ?? '', t.name);
  if (found === undefined && t.def.group === '' && t.def.plural === 'namespaces')
    return implicitNamespace(t.name);
  return found;
}

function requireObject(ctx: VerbContext, t: ResourceTarget): KubeObject {
  const found = current(ctx, t);
  if (found === undefined) throw new KubeHttpError(notFound(t.def, t.name));
  return found;
}

// GET of one object (or its status subresource, which returns the whole object too).
export function getObject(ctx: VerbContext, t: ResourceTarget): Reply {
  return { status: 200, body: structuredClone(requireObject(ctx, t)) };
}

// LIST: `XList` with the current revision; built-in items carry no apiVersion/kind, custom ones do.
export function listObjects(ctx: VerbContext, t: ResourceTarget, query: URLSearchParams): Reply {
  const matches = selectorFrom(query);
  let objects = ctx.store.list(t.def, t.namespace);
  if (t.def.group === '' && t.def.plural === 'namespaces') {
    const stored = new Set(objects.map((o) => o.metadata.name));
    objects = [
      ...objects,
      ...ctx.store
        .namespaces()
        .filter((n) => !stored.has(n))
        .map(implicitNamespace),
    ];
    objects.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }
  const items = objects.filter(matches).map((o) => {
    const copy: Record<string, unknown> = structuredClone(o);
    if (!t.def.custom) {
      delete copy['apiVersion'];
      delete copy['kind'];
    }
    return copy;
  });
  return {
    status: 200,
    body: {
      apiVersion: apiVersionOf(t.def),
      kind: t.def.listKind,
      metadata: { resourceVersion: ctx.store.revision() },
      items,
    },
  };
}
