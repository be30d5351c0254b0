// Bearer-token authentication: which user (name and groups) a token stands for, as the apiserver's
// token and service-account authenticators report them.
import { randomBytes } from 'node:crypto';

// The authenticated user of one request.
export interface UserInfo {
  name: string;
  groups: string[];
  // False only for the default user in 'allow-all' mode: RBAC is then skipped for it.
  rbac: boolean;
}

const SA_PREFIX = 'system:serviceaccount:';

// [namespace, name] of a service-account user name, or undefined for any other user.
export function serviceAccountOf(user: string): [string, string] | undefined {
  if (!user.startsWith(SA_PREFIX)) return undefined;
  const [ns = '', name = '', ...rest] = user.slice(SA_PREFIX.length).split(':');
  return ns !== '' && name !== '' && rest.length === 0 ? [ns, name] : undefined;
}

// The groups the authenticators give a user: service accounts get theirs first, everyone gets
// system:authenticated last (the apiserver's AuthenticatedGroupAdder appends it).
export function groupsFor(user: string, extra: string[] = []): string[] {
  const sa = serviceAccountOf(user);
  const groups = sa === undefined ? [] : ['system:serviceaccounts', `system:serviceaccounts:${sa[0]}`];
  for (const g of [...extra, 'system:authenticated']) if (!groups.includes(g)) groups.push(g);
  return groups;
}

// Token → user table of one emulator.
export class Users {
  #byToken = new Map<string, UserInfo>();

  // Registers `token` for a user; the same user may hold several tokens.
  register(token: string, user: UserInfo): void {
    this.#byToken.set(token, user);
  }

  // A fresh random token for a new RBAC-checked user.
  add(name: string, extraGroups: string[] = []): string {
    const token = randomBytes(24).toString('base64url');
    this.register(token, { name, groups: groupsFor(name, extraGroups), rbac: true });
    return token;
  }

  // The user behind an Authorization header, or undefined (401); parsed like the apiserver's
  // bearertoken authenticator (scheme case-insensitive, token is the second space-separated part).
  authenticate(header: string | undefined): UserInfo | undefined {
    const [scheme = '', token = ''] = (header ?? '').trim().split(' ');
    if (scheme.toLowerCase() !== 'bearer' || token === '') return undefined;
    return this.#byToken.get(token);
  }
}
