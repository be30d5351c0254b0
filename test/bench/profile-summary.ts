// Where a --cpu-prof profile's time goes: self time by function (file:function), GC and idle apart.
// Usage: node test/bench/profile-summary.ts <file.cpuprofile> [top=20]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file = '', topArg = '20'] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
p.samples.forEach((id, i) => {
  const dt = p.timeDeltas[i] ?? 0;
  total += dt;
  const f = byId.get(id)?.callFrame;
  const key =
    f === undefined ? '?' : `${f.url === '' ? '' : `${basename(f.url)}:`}${f.functionName || '(anonymous)'}`;
  self.set(key, (self.get(key) ?? 0) + dt);
});
const ms = (us: number): string => (us / 1000).toFixed(0).padStart(7);
const busy = total - (self.get('(idle)') ?? 0);
console.log(`${file}: ${ms(total)} ms sampled, ${ms(busy)} ms busy`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg)))
  console.log(`${ms(v)} ms ${((100 * v) / Math.max(busy, 1)).toFixed(1).padStart(5)}%  ${k}`);
