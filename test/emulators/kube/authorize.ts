// The emulator's authorizer chain: forbid() denials first (a test's way to take a permission away
// whatever RBAC says), then RBAC for users it applies to, else allow (the default user in 'allow-all').
import type { Faults } from './faults.ts';
import type { Decision, RbacView } from './rbac.ts';
import type { RequestAttributes } from './request-info.ts';
import type { UserInfo } from './users.ts';

// What authorization needs from the emulator.
export interface AuthorizeContext {
  faults: Faults;
  rbac: RbacView;
}

// Allow or deny one request (or one access review) for `user`.
export function authorize(ctx: AuthorizeContext, user: UserInfo, attrs: RequestAttributes): Decision {
  if (attrs.isResourceRequest) {
    const resource = attrs.subresource === '' ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
    if (ctx.faults.isForbidden(attrs.verb, resource, attrs.namespace)) return { allowed: false, reason: '' };
  }
  if (!user.rbac) return { allowed: true, reason: '' };
  return ctx.rbac.authorize(user, attrs);
}
