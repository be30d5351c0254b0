// Transport-level misbehaviour: a blackholed server (reads, never answers), connections reset
// without a response, and late answers, matched per request like failNext's rules.
import type { DelayRule, NetRule } from './types.ts';

function matches(rule: NetRule, method: string, path: string): boolean {
  return (
    path.includes(rule.pathIncludes) && (rule.method === undefined || rule.method.toUpperCase() === method)
  );
}

// Takes one use of the first live rule matching the request.
function take<R extends NetRule>(
  rules: Array<{ rule: R; left: number }>,
  method: string,
  path: string,
): R | undefined {
  const hit = rules.find(({ rule, left }) => left > 0 && matches(rule, method, path));
  if (hit === undefined) return undefined;
  hit.left -= 1;
  return hit.rule;
}

// The per-emulator network fault state behind blackhole, resetNext and delayNext.
export class NetFaults {
  blackholed = false;
  #resets: Array<{ rule: NetRule; left: number }> = [];
  #delays: Array<{ rule: DelayRule; left: number }> = [];

  addReset(rule: NetRule): void {
    this.#resets.push({ rule, left: rule.times ?? 1 });
  }

  addDelay(rule: DelayRule): void {
    this.#delays.push({ rule, left: rule.times ?? 1 });
  }

  // Whether this request's connection is to be destroyed unanswered.
  takeReset(method: string, path: string): boolean {
    return take(this.#resets, method, path) !== undefined;
  }

  // How long to hold this request's answer back, if at all.
  takeDelay(method: string, path: string): number | undefined {
    return take(this.#delays, method, path)?.ms;
  }
}
