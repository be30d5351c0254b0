// undici's Agent and its request API, without the rest of the package: undici's index loads fetch,
// WebSocket, caches, mocks and more (1.5 MB of source, several MiB of RSS at every start) for the two
// things this task uses. Typed through the package's own declarations.
import type { Dispatcher } from 'undici';
import AgentImpl from 'undici/lib/dispatcher/agent.js';
import DispatcherImpl from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';

// What undici's index does to give every dispatcher its request() method.
Object.assign(DispatcherImpl.prototype, api);

export const Agent = AgentImpl;
export type Agent = InstanceType<typeof AgentImpl>;
export type { Dispatcher };

// undici.request(url, options) over an explicit dispatcher.
export function request(
  url: URL,
  o: { dispatcher: Agent } & Omit<Dispatcher.RequestOptions, 'origin' | 'path'>,
): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = o;
  return dispatcher.request({ ...rest, origin: url.origin, path: `${url.pathname}${url.search}` });
}
