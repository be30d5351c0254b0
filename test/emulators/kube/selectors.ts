// labelSelector (equality and existence terms) and fieldSelector (metadata.name/namespace) for LIST.
import { badRequest, KubeHttpError } from './status.ts';
import type { KubeObject } from './types.ts';

type Predicate = (obj: KubeObject) => boolean;

function labelsOf(obj: KubeObject): Record<string, unknown> {
  const l = obj.metadata['labels'];
  return typeof l === 'object' && l !== null ? (l as Record<string, unknown>) : {};
}

function labelTerm(term: string): Predicate {
  const m = /^\s*(!?)\s*([A-Za-z0-9._/-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9._-]*))?\s*$/.exec(term);
  if (m === null)
    throw new KubeHttpError(badRequest(`unable to parse requirement: invalid label selector term "${term}"`));
  const [, not = '', key = '', op, value = ''] = m;
  if (op === undefined) return (o) => key in labelsOf(o) !== (not === '!');
  if (not === '!')
    throw new KubeHttpError(badRequest(`unable to parse requirement: invalid label selector term "${term}"`));
  return op === '!=' ? (o) => labelsOf(o)[key] !== value : (o) => labelsOf(o)[key] === value;
}

function fieldTerm(term: string): Predicate {
  const m = /^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
  if (m === null)
    throw new KubeHttpError(badRequest(`invalid selector: '${term}'; can't understand '${term}'`));
  const [, field = '', op = '', value = ''] = m;
  const read: ((o: KubeObject) => unknown) | undefined =
    field === 'metadata.name'
      ? (o) => o.metadata.name
      : field === 'metadata.namespace'
        ? (o) => o.metadata.namespace ?? ''
        : undefined;
  if (read === undefined) throw new KubeHttpError(badRequest(`field label not supported: ${field}`));
  return op === '!=' ? (o) => read(o) !== value : (o) => read(o) === value;
}

// One predicate for both selectors; an empty selector matches everything.
export function selectorFrom(query: URLSearchParams): Predicate {
  const split = (s: string | null): string[] => (s ?? '').split(',').filter((t) => t.trim() !== '');
  const preds = [
    ...split(query.get('labelSelector')).map(labelTerm),
    ...split(query.get('fieldSelector')).map(fieldTerm),
  ];
  return (obj) => preds.every((p) => p(obj));
}
