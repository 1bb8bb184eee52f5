/**
 * The EventStoreDB adapter (src/store/eventstoredb.ts, on the real @eventstore/db-client) against
 * the gRPC protocol double (test/eventstoredb-double/), beside the embedded SQLite store, the same
 * events, in the same run:
 *
 *   store.append of 20,000 events in batches of 100, one append at a time
 *   store.append of 1,000 single events, one at a time, then 1,000 with 50 in flight
 *   opening the store again, then a fresh Projector folding everything from position 0
 *
 * The adapter and the SQLite store run in the bench process; the double runs in a child process
 * (bench/children/esdb-double.ts), as a server would. THE DOUBLE IS NOT EVENTSTOREDB: it keeps its
 * log in memory and never touches a disk, while the SQLite store fsyncs every commit. These figures
 * measure the adapter's and the client's own cost (gRPC, protobuf, the adapter's round trips per
 * append), not EventStoreDB's speed.
 */
import path from 'node:path';
import { syntheticHistory } from '../../seeds/synthetic.js';
import type { EventStore, EventToAppend } from '../../src/store/port.js';
import { freshDir, startChild, type ChildHandle } from '../lib/child.js';
import { latencyStats, type LatencyStats } from '../lib/latency.js';
import { row, type BenchContext, type Row, type Scenario } from '../lib/types.js';

const TITLE = 'EventStoreDB adapter on the double';
const BATCHED = 20_000;
const BATCH = 100;
const SINGLES = 1_000;
const IN_FLIGHT = 50;
const STREAM = 'ledger';
const WARNING =
  'the EventStoreDB figures are against an in-memory protocol double, not EventStoreDB: they show the adapter ' +
  "and client's own cost, not the database's speed (the embedded store beside them fsyncs every commit)";

interface EngineRun {
  engine: 'sqlite' | 'eventstoredb' | 'eventstoredb-append';
  batches: { eventsPerSec: number; latencyMs: LatencyStats };
  singles?: { eventsPerSec: number; latencyMs: LatencyStats };
  concurrent?: { eventsPerSec: number };
  openMs?: number;
  fold?: { events: number; seconds: number; eventsPerSec: number };
  doubleStats?: unknown;
}

interface Opener {
  engine: EngineRun['engine'];
  open(): Promise<EventStore>;
  /** Batches only: the variant without BatchAppend. */
  batchesOnly?: boolean;
}

async function timedAppends(store: EventStore, groups: EventToAppend[][]) {
  const latencies: number[] = [];
  const started = performance.now();
  let events = 0;
  for (const group of groups) {
    const t0 = performance.now();
    await store.append(STREAM, group, 'any');
    latencies.push(performance.now() - t0);
    events += group.length;
  }
  const seconds = (performance.now() - started) / 1000;
  return { eventsPerSec: events / seconds, latencyMs: latencyStats(latencies) };
}

async function concurrentAppends(store: EventStore, events: EventToAppend[]) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < events.length) await store.append(STREAM, [events[next++]!], 'any');
    }),
  );
  return { eventsPerSec: events.length / ((performance.now() - started) / 1000) };
}

async function measure(ctx: BenchContext, opener: Opener, events: EventToAppend[]): Promise<EngineRun> {
  const batched = events.slice(0, BATCHED);
  const groups = Array.from({ length: BATCHED / BATCH }, (_, i) => batched.slice(i * BATCH, (i + 1) * BATCH));
  const store = await opener.open();
  const run: EngineRun = { engine: opener.engine, batches: { eventsPerSec: 0, latencyMs: latencyStats([]) } };
  let appended = BATCHED;
  try {
    ctx.log(`eventstoredb: ${opener.engine}: ${BATCHED} events in batches of ${BATCH}`);
    run.batches = await timedAppends(store, groups);
    if (!opener.batchesOnly) {
      ctx.log(`eventstoredb: ${opener.engine}: ${SINGLES} single events, one at a time, then ${IN_FLIGHT} in flight`);
      run.singles = await timedAppends(
        store,
        events.slice(BATCHED, BATCHED + SINGLES).map((e) => [e]),
      );
      run.concurrent = await concurrentAppends(store, events.slice(BATCHED + SINGLES, BATCHED + 2 * SINGLES));
      appended += 2 * SINGLES;
    }
  } finally {
    await store.close();
  }
  if (opener.batchesOnly) return run;

  // A fresh store on the same data, as after a restart, then a fresh Projector from 0.
  const { Projector } = await import('../../src/read/projector.js');
  const openStarted = performance.now();
  const again = await opener.open();
  run.openMs = performance.now() - openStarted;
  try {
    const head = await again.headPosition();
    const projector = new Projector(again);
    let folded = 0;
    const started = performance.now();
    await projector.start();
    const seconds = (performance.now() - started) / 1000;
    folded = appended;
    if (projector.state.position !== head)
      throw new Error(`eventstoredb: ${opener.engine}: the fold stopped at ${projector.state.position}, head ${head}`);
    await projector.close();
    run.fold = { events: folded, seconds, eventsPerSec: folded / seconds };
  } finally {
    await again.close();
  }
  return run;
}

async function withDouble<T>(
  ctx: BenchContext,
  batchAppend: boolean,
  use: (double: ChildHandle, cs: string) => Promise<T>,
) {
  const double = await startChild(ctx, {
    name: `esdb-double${batchAppend ? '' : '-append'}`,
    script: 'bench/children/esdb-double.ts',
    env: { BATCH_APPEND: String(batchAppend) },
    readyPath: '/',
  });
  try {
    const { connectionString } = (await (await fetch(double.url)).json()) as { connectionString: string };
    return await use(double, connectionString);
  } finally {
    await double.stop();
  }
}

export const eventstoredb: Scenario = {
  id: 'eventstoredb',
  title: `${TITLE} (NOT EventStoreDB's speed) vs the embedded store`,
  async run(ctx) {
    ctx.log(`eventstoredb: NOTE ${WARNING}`);
    const { toProposal } = await import('../../src/http/routes/events.js');
    const { openSqliteStore } = await import('../../src/store/sqlite.js');
    const { openEventStoreDbStore } = await import('../../src/store/eventstoredb.js');
    const events: EventToAppend[] = [...syntheticHistory(BATCHED + 2 * SINGLES, { seed: 7 })].map((e) => ({
      ...toProposal(e),
      recordedBy: 'bench',
    }));

    const runs: EngineRun[] = [];
    const sqliteRun = () => {
      const file = path.join(freshDir(ctx, 'esdb-vs-sqlite'), 'ledger.sqlite');
      return measure(ctx, { engine: 'sqlite', open: async () => openSqliteStore({ file }) }, events);
    };
    const esdbRun = (batchAppend: boolean) =>
      withDouble(ctx, batchAppend, async (double, connectionString) => {
        const run = await measure(
          ctx,
          {
            engine: batchAppend ? 'eventstoredb' : 'eventstoredb-append',
            open: () => openEventStoreDbStore({ connectionString }),
            batchesOnly: !batchAppend,
          },
          events,
        );
        run.doubleStats = await (await fetch(double.url)).json();
        return run;
      });
    for (let round = 0; round < ctx.rounds; round++) {
      // Taking turns (A B B A), so drift in the machine's load hits both alike.
      const order = round % 2 === 0 ? [sqliteRun, () => esdbRun(true)] : [() => esdbRun(true), sqliteRun];
      for (const step of order) runs.push(await step());
    }
    runs.push(await esdbRun(false));

    const of = (engine: EngineRun['engine']) => runs.filter((r) => r.engine === engine);
    const avg = (engine: EngineRun['engine'], pick: (r: EngineRun) => number | undefined) => {
      const xs = of(engine).flatMap((r) => {
        const x = pick(r);
        return x === undefined ? [] : [x];
      });
      return xs.reduce((n, x) => n + x, 0) / xs.length;
    };
    const worst = (engine: EngineRun['engine'], pick: (r: EngineRun) => number | undefined) =>
      Math.max(...of(engine).map((r) => pick(r) ?? NaN));
    const line = (metric: string, unit: string, pick: (r: EngineRun) => number | undefined, max = false): Row =>
      row({
        scenario: TITLE,
        metric,
        unit,
        ours: (max ? worst : avg)('eventstoredb', pick),
        baseline: { name: 'embedded SQLite store', value: (max ? worst : avg)('sqlite', pick) },
      });
    const rows: Row[] = [
      line(`append ${BATCH}-event batches: events/s`, '/s', (r) => r.batches.eventsPerSec),
      line(`append ${BATCH}-event batches: p50 per append`, 'ms', (r) => r.batches.latencyMs.p50),
      line(`append ${BATCH}-event batches: p99 per append`, 'ms', (r) => r.batches.latencyMs.p99, true),
      row({
        scenario: TITLE,
        metric: `append ${BATCH}-event batches without BatchAppend: events/s`,
        unit: '/s',
        ours: avg('eventstoredb-append', (r) => r.batches.eventsPerSec),
        baseline: { name: 'embedded SQLite store', value: avg('sqlite', (r) => r.batches.eventsPerSec) },
      }),
      line('append single events, 1 in flight: events/s', '/s', (r) => r.singles?.eventsPerSec),
      line('append single events, 1 in flight: p50', 'ms', (r) => r.singles?.latencyMs.p50),
      line('append single events, 1 in flight: p99', 'ms', (r) => r.singles?.latencyMs.p99, true),
      line(`append single events, ${IN_FLIGHT} in flight: events/s`, '/s', (r) => r.concurrent?.eventsPerSec),
      line(`open the store again (${BATCHED + 2 * SINGLES} events)`, 'ms', (r) => r.openMs),
      line('rebuild: fresh Projector from 0, events/s', '/s', (r) => r.fold?.eventsPerSec),
    ];
    return { rows, details: { warning: WARNING, doubleIn: 'child process', events: events.length, runs } };
  },
};
