// The authorization attributes of a request, derived from method and URL the way the apiserver's
// RequestInfoFactory does (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go), independently of
// whether the emulator serves the resource: an unauthorized user gets 403 before any 404.

// What an authorizer is asked about (authorizer.Attributes minus the user).
export interface RequestAttributes {
  isResourceRequest: boolean;
  // The URL path, for non-resource requests and their 403 message.
  path: string;
  verb: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

const API_PREFIXES = new Set(['api', 'apis']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function decodedPath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
}

// metav1 bool query parameters: anything but "0" and "false" (any case) is true.
function queryBool(values: string[]): boolean {
  const first = values[0];
  return first !== undefined && first !== '0' && first.toLowerCase() !== 'false';
}

// fields.Selector.RequiresExactMatch("metadata.name") over a comma-joined selector.
function exactName(selector: string | null): string | undefined {
  for (const term of (selector ?? '').split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    if (m !== null) return m[1];
  }
  return undefined;
}

// path.IsValidPathSegmentName: a name a URL segment can carry.
function validSegment(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

// The attributes of one request; `method` is upper case.
export function requestAttributes(method: string, url: URL): RequestAttributes {
  const path = decodedPath(url);
  const info: RequestAttributes = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
  let parts = splitPath(path);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0] ?? '')) return info;
  const grouped = parts[0] === 'apis';
  parts = parts.slice(1);
  if (grouped) {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0] ?? '';
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0] ?? '';
  parts = parts.slice(1);
  let proxy = false;
  if (parts[0] === 'watch' || parts[0] === 'proxy') {
    info.verb = parts[0];
    proxy = parts[0] === 'proxy';
    parts = parts.slice(1);
  } else {
    const verbs: Record<string, string> = {
      POST: 'create',
      GET: 'get',
      HEAD: 'get',
      PUT: 'update',
      PATCH: 'patch',
      DELETE: 'delete',
    };
    info.verb = verbs[method] ?? '';
  }
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1] ?? '';
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
    }
  }
  if (parts.length >= 3 && !proxy) info.subresource = parts[2] ?? '';
  if (parts.length >= 2) info.name = parts[1] ?? '';
  if (parts.length >= 1) info.resource = parts[0] ?? '';
  if (info.name === '' && info.verb === 'get') {
    info.verb = queryBool(url.searchParams.getAll('watch')) ? 'watch' : 'list';
    const named = exactName(url.searchParams.get('fieldSelector'));
    if (named !== undefined && validSegment(named)) info.name = named;
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}
