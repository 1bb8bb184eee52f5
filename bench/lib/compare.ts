/**
 * Our server beside its baselines under the same load: the servers are all
 * started, then take turns in rounds (A B, B A, A B …) so that a change in
 * the machine's other load during the run falls on both alike. Only one
 * server is under load at a time; the others sit idle.
 */
import type { ChildHandle } from './child.js';
import { runLoad, type LoadOptions, type LoadResult } from './load.js';
import { row, type BenchContext, type Row } from './types.js';

export interface Contender {
  /** Key in the returned record, and part of the run's label. */
  key: string;
  server: ChildHandle;
  load: Omit<LoadOptions, 'label' | 'url' | 'server' | 'durationS' | 'warmupS'>;
}

/** Several measured runs of one server, folded into one figure. */
export interface LoadSummary {
  /** 2xx answers per second over all rounds. */
  okPerSec: number;
  /** p50: the mean of the rounds' p50; p99: the worst round's p99. */
  latencyMs: { p50: number; p99: number };
  ok: number;
  non2xx: number;
  /** Server CPU microseconds per 2xx answer, over all rounds. */
  serverCpuUsPerOk: number | undefined;
  /** Largest resident memory seen after a round. */
  serverRssMiB: number | undefined;
  runs: LoadResult[];
}

export function summarise(runs: LoadResult[]): LoadSummary {
  const ok = runs.reduce((n, r) => n + r.ok, 0);
  const seconds = runs.reduce((n, r) => n + r.durationS, 0);
  const cpuKnown = runs.every((r) => r.serverCpu !== undefined);
  const cpuSeconds = runs.reduce((n, r) => n + (r.serverCpu ?? 0) * r.durationS, 0);
  const rss = runs.flatMap((r) => (r.serverRssMiB === undefined ? [] : [r.serverRssMiB]));
  return {
    okPerSec: ok / seconds,
    latencyMs: {
      p50: runs.reduce((n, r) => n + r.latencyMs.p50, 0) / runs.length,
      p99: Math.max(...runs.map((r) => r.latencyMs.p99)),
    },
    ok,
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    serverCpuUsPerOk: cpuKnown && ok > 0 ? (cpuSeconds * 1e6) / ok : undefined,
    serverRssMiB: rss.length > 0 ? Math.max(...rss) : undefined,
    runs,
  };
}

/** Runs every contender for ctx.durationS in all, in ctx.rounds turns, each warmed up before its first turn. */
export async function compareLoads(
  ctx: BenchContext,
  id: string,
  contenders: Contender[],
): Promise<Record<string, LoadSummary>> {
  const rounds = Math.max(1, ctx.rounds);
  const runs = new Map<string, LoadResult[]>(contenders.map((c) => [c.key, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const done = runs.get(c.key)!;
      ctx.log(`${id}: ${c.key}, round ${round + 1}/${rounds}, ${c.load.connections} connections`);
      done.push(
        await runLoad({
          ...c.load,
          label: `${id}.${c.key}.${round + 1}`,
          url: c.server.url,
          server: c.server,
          durationS: ctx.durationS / rounds,
          warmupS: done.length === 0 ? ctx.warmupS : 0,
        }),
      );
    }
  }
  return Object.fromEntries([...runs].map(([key, r]) => [key, summarise(r)]));
}

/** The rows every read comparison shows after its throughput: p50, p99 and server CPU per request. */
export function latencyRows(scenario: string, baselineName: string, ours: LoadSummary, theirs: LoadSummary): Row[] {
  const baseline = (value: number) => ({ name: baselineName, value });
  const rows: Row[] = [
    row({
      scenario,
      metric: 'p50 latency',
      unit: 'ms',
      ours: ours.latencyMs.p50,
      baseline: baseline(theirs.latencyMs.p50),
    }),
    row({
      scenario,
      metric: 'p99 latency',
      unit: 'ms',
      ours: ours.latencyMs.p99,
      baseline: baseline(theirs.latencyMs.p99),
    }),
  ];
  if (ours.serverCpuUsPerOk !== undefined && theirs.serverCpuUsPerOk !== undefined)
    rows.push(
      row({
        scenario,
        metric: 'server CPU per request',
        unit: 'µs',
        ours: ours.serverCpuUsPerOk,
        baseline: baseline(theirs.serverCpuUsPerOk),
      }),
    );
  return rows;
}
