// Test-controlled misbehaviour: injected failures, RBAC denials and status-write conflicts.
import { failure, type StatusBody } from './status.ts';
import type { FailRule, ForbidRule } from './types.ts';

// The messages apimachinery's NewGenericServerResponse uses when a server says nothing more.
const GENERIC_MESSAGES: Record<number, string> = {
  400: 'the server rejected our request for an unknown reason',
  401: 'the server has asked for the client to provide credentials',
  404: 'the server could not find the requested resource',
  405: 'the server does not allow this method on the requested resource',
  409: 'the server reported a conflict',
  422: 'the server rejected our request due to an error in our request',
  429: 'the server has received too many requests and has asked us to try again later',
  504: 'the server was unable to return a response in the time allotted, but may still be processing the request',
};

function genericMessage(code: number): string {
  return (
    GENERIC_MESSAGES[code] ??
    `the server responded with the status code ${code} but did not return more information`
  );
}

// The per-emulator fault state behind failNext, forbid and conflictNextStatusWrites.
export class Faults {
  #fails: Array<{ rule: FailRule; left: number }> = [];
  #forbids: ForbidRule[] = [];
  #statusConflicts = 0;

  // Queues an injected failure; rules are tried in the order they were added.
  addFailure(rule: FailRule): void {
    this.#fails.push({ rule, left: rule.times ?? 1 });
  }

  // The Status to answer with if an injected failure matches this request (and uses one of its times).
  takeFailure(method: string, path: string): StatusBody | undefined {
    const hit = this.#fails.find(
      ({ rule, left }) =>
        left > 0 &&
        path.includes(rule.pathIncludes) &&
        (rule.method === undefined || rule.method.toUpperCase() === method),
    );
    if (hit === undefined) return undefined;
    hit.left -= 1;
    const { status, reason, message } = hit.rule;
    const retry = hit.rule.retryAfterSeconds ?? (status === 429 ? 1 : 0);
    return failure(
      status,
      message ?? genericMessage(status),
      reason,
      retry > 0 ? { retryAfterSeconds: retry } : {},
    );
  }

  addForbid(rule: ForbidRule): void {
    this.#forbids.push(rule);
  }

  // Denial check on top of RBAC; `resource` is "plural" or "plural/subresource", matched exactly
  // ("*" matches all).
  isForbidden(verb: string, resource: string, namespace: string): boolean {
    return this.#forbids.some(
      (r) =>
        (r.verb === '*' || r.verb === verb) &&
        (r.resource === '*' || r.resource === resource) &&
        (r.namespace === undefined || r.namespace === namespace),
    );
  }

  addStatusConflicts(n: number): void {
    this.#statusConflicts += n;
  }

  // Consumes one pending status-write conflict, if any.
  takeStatusConflict(): boolean {
    if (this.#statusConflicts <= 0) return false;
    this.#statusConflicts -= 1;
    return true;
  }
}
