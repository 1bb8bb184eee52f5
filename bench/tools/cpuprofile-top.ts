/**
 * Summarises V8 CPU profiles (from `npm run bench -- --profile`): where the
 * service spent its time, by function (self and inclusive) and by package.
 *
 *   npx tsx bench/tools/cpuprofile-top.ts bench/results/profiles/<stamp>/service-post/*.0.*.cpuprofile \
 *     [--top 25] [--grep 'insertBatch|pump|parseEventsBody'] [--per 81538]
 *
 * `--per N`: also each figure divided by N (the requests or events the process served while profiled,
 * e.g. the head's advance in the JSON), in µs, and the share of busy (not idle) time.
 *
 * The main thread's profile has thread id 0 in its name; the other is tsx's loader thread.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** node_modules/<pkg>, our top-level folder, or the V8 pseudo-frame. */
function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const rel = url.replace(/^file:\/\//, '');
  const parts = rel.split('/');
  const root = parts.findIndex((p) => ['src', 'events', 'projections', 'seeds', 'bench'].includes(p));
  return root >= 0 ? parts.slice(root, root + 2).join('/') : path.basename(rel);
}

function summarise(file: string, top: number, grep: RegExp | undefined, per: number | undefined): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

  const key = (n: ProfileNode) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*?node_modules\//, '');
    return `${n.callFrame.functionName || '(anonymous)'}  ${url ? `${path.relative(process.cwd(), url) || url}:${n.callFrame.lineNumber + 1}` : ''}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    self.set(key(node), (self.get(key(node)) ?? 0) + us);
    areas.set(
      area(node.callFrame.url, node.callFrame.functionName),
      (areas.get(area(node.callFrame.url, node.callFrame.functionName)) ?? 0) + us,
    );
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const idleUs = self.get('(idle)  ') ?? 0;
  const busyUs = totalUs - idleUs;
  const pct = (us: number, k = '') =>
    `${((100 * us) / totalUs).toFixed(1).padStart(5)}%` +
    (per && !k.startsWith('(idle)') && !k.startsWith('(root)')
      ? `  ${((100 * us) / busyUs).toFixed(1).padStart(5)}% busy  ${(us / per).toFixed(2).padStart(8)} µs`
      : '');
  const list = (title: string, m: Map<string, number>, n: number) => {
    console.log(`\n  ${title}`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${pct(us, k)}  ${k}`);
  };
  console.log(
    `\n${file}: ${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s busy` +
      (per ? `, ${((busyUs / per) | 0).toString()} µs busy per unit (${per} units)` : ''),
  );
  list('by package / folder (self time)', areas, top);
  list('by function, self time', self, top);
  list('by function, inclusive time', inclusive, top);
  if (grep)
    list(`inclusive time of functions matching ${grep}`, new Map([...inclusive].filter(([k]) => grep.test(k))), 1000);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, grep: { type: 'string' }, per: { type: 'string' } },
});
if (positionals.length === 0) {
  console.error('usage: npx tsx bench/tools/cpuprofile-top.ts <file.cpuprofile>... [--top N] [--grep REGEX]');
  process.exit(2);
}
const grep = values.grep ? new RegExp(values.grep) : undefined;
const per = values.per ? Number(values.per) : undefined;
if (per !== undefined && !(per > 0)) throw new Error(`--per takes a positive count, got ${values.per}`);
for (const file of positionals) summarise(file, Number(values.top), grep, per);
