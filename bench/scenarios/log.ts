/**
 * What the verifiable log costs and how fast it answers (issue 10):
 * - durable POST /v1/events, one event and batches of 100, with the log on (every write group
 *   signed before it is acknowledged) and off, taking turns; target ≥ 0.9× off;
 * - on the `million` scenario's cached store of 1,000,000 events (bench/children/log-million.ts):
 *   the first open (every leaf recomputed), the reopen from the saved tree, inclusion and
 *   consistency proofs (p99 < 5 ms), and the offline verifier's rate on the export (≥ 200,000/s).
 */
import { serviceAuthEnv } from '../lib/auth.js';
import { batchBodies, singleBodies } from '../lib/bodies.js';
import { freshDir, runScript, startChild, withChildren, type ChildHandle } from '../lib/child.js';
import { compareLoads } from '../lib/compare.js';
import { cachedStore, copyStore } from '../lib/million-store.js';
import type { BenchContext, Row, Scenario } from '../lib/types.js';
import { writeRows } from './write-load.js';

const TARGET_SHARE = 0.9;
const PATH = '/v1/events';

function startApp(ctx: BenchContext, mode: 'on' | 'off', dataDir: string): Promise<ChildHandle> {
  return startChild(ctx, {
    name: `service-log-${mode}`,
    script: 'bench/children/app.ts',
    env: {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SEED_ON_EMPTY: 'true',
      ...serviceAuthEnv(),
      EVENTSTORE_CONNECTION_STRING: undefined,
      BENCH_AUTH: 'on',
      BENCH_LOG: mode,
    },
    readyPath: '/ready',
    profile: true,
  });
}

interface MillionFigures {
  events: number;
  firstOpenS: number;
  firstOpenEventsPerS: number;
  saveS: number;
  reopenS: number;
  proofs: Record<'inclusion' | 'consistency', { p50Ms: number; p99Ms: number; maxMs: number }>;
  exportS: number;
  verifyS: number;
  verifyEventsPerS: number;
}

export const log: Scenario = {
  id: 'log',
  title: 'verifiable log: POST with the log on vs off, proofs and verification at 1M',
  async run(ctx) {
    const rows: Row[] = [];
    const details: Record<string, unknown> = {};
    for (const [name, bodies, perRequest] of [
      ['one event', singleBodies(16), 1],
      ['batches of 100', batchBodies(4, 100), 100],
    ] as const) {
      const load = { path: PATH, method: 'POST' as const, bodies, connections: ctx.connections };
      const dirs = { on: freshDir(ctx, 'ledger-log-on'), off: freshDir(ctx, 'ledger-log-off') };
      const loads = await withChildren(
        [() => startApp(ctx, 'on', dirs.on), () => startApp(ctx, 'off', dirs.off)],
        ([on, off]) =>
          compareLoads(ctx, 'log', [
            { key: 'log-on', server: on!, load },
            { key: 'log-off', server: off!, load },
          ]),
      );
      rows.push(
        ...writeRows({
          title: `POST ${name}, log on vs off`,
          perRequest,
          ours: loads['log-on']!,
          baseline: loads['log-off']!,
          baselineName: 'log off',
          target: { op: '>=', value: TARGET_SHARE, on: 'ratio' },
          oursEventsPerCommit: undefined,
          baselineEventsPerCommit: undefined,
        }),
      );
      details[name] = loads;
    }

    return { rows, details };
  },
};

export const logMillion: Scenario = {
  id: 'log-million',
  title: 'verifiable log at 1,000,000 events: open, reopen, proofs, offline verification',
  async run(ctx) {
    const rows: Row[] = [];
    const store = await cachedStore(ctx, 1_000_000, 1, 'million');
    const dir = copyStore(store, freshDir(ctx, 'log-million'));
    const m = await runScript<MillionFigures>(ctx, {
      name: 'log-million',
      script: 'bench/children/log-million.ts',
      args: [dir],
      timeoutMs: 1_800_000,
    });
    const scenario = `log over ${m.events.toLocaleString('en')} events`;
    rows.push(
      { scenario, metric: 'first open: every leaf from the store', unit: 'events/s', ours: m.firstOpenEventsPerS },
      {
        scenario,
        metric: 'restart from the saved tree (store file stamp checked)',
        unit: 's',
        ours: m.reopenS,
        target: { op: '<=', value: 3 },
        met: m.reopenS <= 3,
      },
      ...(['inclusion', 'consistency'] as const).map((kind) => ({
        scenario,
        metric: `${kind} proof p99`,
        unit: 'ms',
        ours: m.proofs[kind].p99Ms,
        target: { op: '<=' as const, value: 5 },
        met: m.proofs[kind].p99Ms <= 5,
      })),
      {
        scenario,
        metric: 'offline verification of the export (tree)',
        unit: 'events/s',
        ours: m.verifyEventsPerS,
        target: { op: '>=', value: 200_000 },
        met: m.verifyEventsPerS >= 200_000,
      },
    );
    return { rows, details: { million: m } };
  },
};
