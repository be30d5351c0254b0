// AppBinding URL()/Port() with the semantics of kmodules custom-resources (kubevault-model §1): url is
// used verbatim; service becomes <scheme>://<name>.<ns>.svc:<port><path>?<query>, port always emitted.
import { TaskError } from '../errors.ts';

export interface ClientConfig {
  url?: string;
  service?: {
    scheme?: string;
    name?: string;
    namespace?: string;
    port?: number;
    path?: string;
    query?: string;
  };
}

export function appBindingUrl(cc: ClientConfig, appBindingNamespace: string): string {
  if (cc.url !== undefined && cc.url !== '') return cc.url;
  const s = cc.service;
  if (s?.name === undefined || s.name === '')
    throw new TaskError('config', 'AppBinding clientConfig: connection url is missing');
  const ns = s.namespace !== undefined && s.namespace !== '' ? s.namespace : appBindingNamespace;
  const scheme = s.scheme !== undefined && s.scheme !== '' ? `${s.scheme}:` : '';
  let path = s.path ?? '';
  if (path !== '' && !path.startsWith('/')) path = `/${path}`;
  const escaped = path.split('/').map(encodeURIComponent).join('/');
  const query = s.query !== undefined && s.query !== '' ? `?${s.query}` : '';
  return `${scheme}//${s.name}.${ns}.svc:${s.port ?? 0}${escaped}${query}`;
}

// Port(): the service port as-is; for url an explicit port is required (Go: ParseInt of "" fails).
export function appBindingPort(cc: ClientConfig): number {
  if (cc.url !== undefined && cc.url !== '') {
    const port = new URL(cc.url).port;
    if (port === '')
      throw new TaskError('config', `AppBinding clientConfig.url ${cc.url} has no explicit port`);
    return Number(port);
  }
  if (cc.service !== undefined) return cc.service.port ?? 0;
  throw new TaskError('config', 'AppBinding clientConfig: connection url is missing');
}
