/**
 * The EventStoreDB adapter (src/store/eventstoredb.ts, on the real @eventstore/db-client) against
 * the gRPC protocol double (test/eventstoredb-double/), beside the embedded SQLite store, the same
 * events, in the same run:
 *
 *   store.append of 20,000 events in batches of 100, one append at a time
 *   store.append of 1,000 single events, one at a time, then 1,000 with 50 in flight
 *   opening the store again, then a fresh Projector folding everything from position 0
 *   the writer (group commit, as POST /v1/events uses it): single-event submissions, 1 and 50 in
 *     flight, with the double's round trips (reads + appends) per acknowledged event
 *   opening on a $all of 200,000 events: without a saved id index, then with it (the restart)
 *
 * The adapter and the SQLite store run in the bench process; the double runs in a child process
 * (bench/children/esdb-double.ts), as a server would. THE DOUBLE IS NOT EVENTSTOREDB: it keeps its
 * log in memory and never touches a disk, while the SQLite store fsyncs every commit. These figures
 * measure the adapter's and the client's own cost (gRPC, protobuf, the adapter's round trips per
 * append), not EventStoreDB's speed.
 */
import path from 'node:path';
import { syntheticHistory } from '../../seeds/synthetic.js';
import type { Proposal } from '../../src/ledger/decide.js';
import type { EventStore, EventToAppend } from '../../src/store/port.js';
import type { CallCounts } from '../../test/eventstoredb-double/server.js';
import { freshDir, startChild, type ChildHandle } from '../lib/child.js';
import { latencyStats, type LatencyStats } from '../lib/latency.js';
import { row, type BenchContext, type Row, type Scenario } from '../lib/types.js';

const TITLE = 'EventStoreDB adapter on the double';
const BATCHED = 20_000;
const BATCH = 100;
const SINGLES = 1_000;
const IN_FLIGHT = 50;
const STREAM = 'ledger';
const WRITER_SETUP = 2_000;
const WRITER_ONE = 500;
const WRITER_FIFTY = 3_000;
/** How long `$all` is for the first open and the restart: `ESDB_PRELOAD=1000000` measures a million. */
const PRELOAD = Number(process.env.ESDB_PRELOAD ?? 200_000);

interface WriterFigures {
  eventsPerSec: number;
  acknowledged: number;
  /** Reads + appends the double counted, per acknowledged event (EventStoreDB only). */
  roundTripsPerEvent?: number;
  counts?: CallCounts;
  cpuUsPerEvent: number;
}

interface WriterRun {
  engine: 'sqlite' | 'eventstoredb';
  one: WriterFigures;
  fifty: WriterFigures;
}

interface Counter {
  reset(): Promise<unknown>;
  take(): Promise<CallCounts>;
}

const countsOf = (url: string): Counter => ({
  reset: () => fetch(`${url}/?reset=1`),
  take: async () => ((await (await fetch(`${url}/?reset=1`)).json()) as { counts: CallCounts }).counts,
});

/** Single-event submissions through the writer, as concurrent POSTs reach it. */
async function writerLoad(
  engine: WriterRun['engine'],
  store: EventStore,
  proposals: Proposal[],
  counter?: Counter,
): Promise<WriterRun> {
  const { LedgerWriter } = await import('../../src/ledger/writer.js');
  const writer = new LedgerWriter(store, { timeoutMs: 60_000 });
  await writer.start();
  try {
    for (let i = 0; i < WRITER_SETUP; i += 100)
      await writer.submit({ proposals: proposals.slice(i, i + 100), recordedBy: 'bench' });
    const phase = async (slice: Proposal[], inFlight: number): Promise<WriterFigures> => {
      await counter?.reset();
      let next = 0;
      let acknowledged = 0;
      const cpu = process.cpuUsage();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < slice.length) {
            const proposal = slice[next++]!;
            try {
              await writer.submit({ proposals: [proposal], recordedBy: 'bench' });
              acknowledged++;
            } catch {
              // A refusal is an answer, not an acknowledged event.
            }
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const counts = await counter?.take();
      return {
        eventsPerSec: acknowledged / seconds,
        acknowledged,
        cpuUsPerEvent: (used.user + used.system) / Math.max(1, acknowledged),
        ...(counts ? { counts, roundTripsPerEvent: (counts.reads + counts.appends) / Math.max(1, acknowledged) } : {}),
      };
    };
    const one = await phase(proposals.slice(WRITER_SETUP, WRITER_SETUP + WRITER_ONE), 1);
    const fifty = await phase(
      proposals.slice(WRITER_SETUP + WRITER_ONE, WRITER_SETUP + WRITER_ONE + WRITER_FIFTY),
      IN_FLIGHT,
    );
    return { engine, one, fifty };
  } finally {
    await writer.close();
  }
}

interface RestartRun {
  events: number;
  firstOpen: { ms: number; cpuUsPerEvent: number; recordsRead: number; indexBytes: number };
  restart: { ms: number; recordsRead: number; reads: number; shareOfAll: number };
}

/** Opening on a long $all: without a saved id index (a first start), then with it (a restart). */
async function restartRun(ctx: BenchContext): Promise<RestartRun> {
  const { openEventStoreDbStore } = await import('../../src/store/eventstoredb.js');
  const double = await startChild(ctx, {
    name: 'esdb-double-preloaded',
    script: 'bench/children/esdb-double.ts',
    env: { PRELOAD: String(PRELOAD) },
    readyPath: '/',
    readyTimeoutMs: 180_000,
  });
  try {
    const counter = countsOf(double.url);
    const { connectionString, records } = (await (await fetch(double.url)).json()) as {
      connectionString: string;
      records: number;
    };
    const indexFile = path.join(freshDir(ctx, 'esdb-index'), 'projections.ids.checkpoint');
    const options = { connectionString, indexStreams: [STREAM], indexFile, timeoutMs: 30_000 };
    await counter.reset();
    ctx.log(`eventstoredb: opening on ${records} records without a saved index`);
    const cpu = process.cpuUsage();
    let started = performance.now();
    const first = await openEventStoreDbStore(options);
    const firstMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const firstCounts = await counter.take();
    const indexBytes = first.idIndexStats.bytes;
    await first.saveIdIndex(indexFile);
    await first.close();
    ctx.log('eventstoredb: opening again with the saved index');
    started = performance.now();
    const again = await openEventStoreDbStore(options);
    const restartMs = performance.now() - started;
    const restartCounts = await counter.take();
    await again.close();
    return {
      events: PRELOAD,
      firstOpen: {
        ms: firstMs,
        cpuUsPerEvent: (used.user + used.system) / PRELOAD,
        recordsRead: firstCounts.recordsRead + firstCounts.recordsPushed,
        indexBytes,
      },
      restart: {
        ms: restartMs,
        recordsRead: restartCounts.recordsRead + restartCounts.recordsPushed,
        reads: restartCounts.reads,
        shareOfAll: (restartCounts.recordsRead + restartCounts.recordsPushed) / records,
      },
    };
  } finally {
    await double.stop();
  }
}
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
            // As the service opens it: the ledger's stream indexed, and what a long catch-up reads.
            open: () => openEventStoreDbStore({ connectionString, indexStreams: [STREAM] }),
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

    const proposals = [...syntheticHistory(WRITER_SETUP + WRITER_ONE + WRITER_FIFTY, { seed: 11 })].map(toProposal);
    const writerRuns: WriterRun[] = [];
    const sqliteWriter = async () => {
      const store = openSqliteStore({ file: path.join(freshDir(ctx, 'writer-sqlite'), 'ledger.sqlite') });
      try {
        return await writerLoad('sqlite', store, proposals);
      } finally {
        await store.close();
      }
    };
    const esdbWriter = () =>
      withDouble(ctx, true, async (double, connectionString) => {
        const store = await openEventStoreDbStore({ connectionString, indexStreams: [STREAM] });
        try {
          return await writerLoad('eventstoredb', store, proposals, countsOf(double.url));
        } finally {
          await store.close();
        }
      });
    ctx.log('eventstoredb: the writer, single events, 1 and 50 in flight');
    for (const step of [sqliteWriter, esdbWriter]) writerRuns.push(await step());
    const restart = await restartRun(ctx);

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
    const writerOf = (engine: WriterRun['engine']) => writerRuns.find((r) => r.engine === engine)!;
    const writerLine = (metric: string, unit: string, pick: (r: WriterRun) => number) =>
      row({
        scenario: TITLE,
        metric,
        unit,
        ours: pick(writerOf('eventstoredb')),
        baseline: { name: 'embedded SQLite store', value: pick(writerOf('sqlite')) },
      });
    rows.push(
      writerLine('writer, single events, 1 in flight: events/s', '/s', (r) => r.one.eventsPerSec),
      writerLine(`writer, single events, ${IN_FLIGHT} in flight: events/s`, '/s', (r) => r.fifty.eventsPerSec),
      writerLine(`writer, ${IN_FLIGHT} in flight: client CPU per event`, 'µs', (r) => r.fifty.cpuUsPerEvent),
      row({
        scenario: TITLE,
        metric: 'writer, 1 in flight: round trips (reads + appends) per acknowledged event',
        unit: '',
        ours: writerOf('eventstoredb').one.roundTripsPerEvent ?? NaN,
        target: { op: '<=', value: 1.2 },
      }),
      row({
        scenario: TITLE,
        metric: `writer, ${IN_FLIGHT} in flight: round trips (reads + appends) per acknowledged event`,
        unit: '',
        ours: writerOf('eventstoredb').fifty.roundTripsPerEvent ?? NaN,
        target: { op: '<=', value: 0.05 },
      }),
      row({
        scenario: TITLE,
        metric: `first open on ${PRELOAD.toLocaleString('en')} events (no saved index)`,
        unit: 'ms',
        ours: restart.firstOpen.ms,
      }),
      row({
        scenario: TITLE,
        metric: 'first open: adapter CPU per event in $all',
        unit: 'µs',
        ours: restart.firstOpen.cpuUsPerEvent,
      }),
      row({
        scenario: TITLE,
        metric: `restart with the saved index on ${PRELOAD.toLocaleString('en')} events`,
        unit: 'ms',
        ours: restart.restart.ms,
        target: { op: '<=', value: 2000 },
      }),
      row({
        scenario: TITLE,
        metric: 'restart: share of $all read',
        unit: '%',
        ours: restart.restart.shareOfAll * 100,
        target: { op: '<=', value: 1 },
      }),
    );
    return {
      rows,
      details: { warning: WARNING, doubleIn: 'child process', events: events.length, runs, writerRuns, restart },
    };
  },
};
