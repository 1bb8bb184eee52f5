/**
 * Where write time goes, layer by layer, in the bench process (no HTTP, no
 * load generator competing for the CPU). Each layer adds one part of the
 * path an event takes, with batches of 100 events and 20 batches in flight
 * (what 20 connections posting arrays of 100 give the writer):
 *
 *   store   openSqliteStore().append: one append of 2,000 events at a time
 *   ledger  + the writer (decide, book, conditional append) and the projector
 *   parse   + parseEventsBody and toProposal on JSON text, as the route does
 *
 * Compare with `sqlite` (the raw insert loop) and `batch` (the same over HTTP).
 * It imports the project's own modules, so an API change there shows up here
 * as a failed scenario rather than a wrong figure.
 */
import path from 'node:path';
import { batchBodies, donation } from '../lib/bodies.js';
import { freshDir } from '../lib/child.js';
import { row, type BenchContext, type Row, type Scenario } from '../lib/types.js';

const TITLE = 'Write path in-process';
const BATCH = 100;
const IN_FLIGHT = 20;

interface LayerResult {
  layer: string;
  events: number;
  seconds: number;
  eventsPerSec: number;
  cpuUsPerEvent: number;
}

async function timed(layer: string, seconds: number, step: () => Promise<number>): Promise<LayerResult> {
  // One short unmeasured round first, for the JIT.
  await step();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  let events = 0;
  while (performance.now() < end) events += await step();
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    layer,
    events,
    seconds: elapsed,
    eventsPerSec: events / elapsed,
    cpuUsPerEvent: (used.user + used.system) / events,
  };
}

export const layers: Scenario = {
  id: 'layers',
  title: TITLE,
  async run(ctx: BenchContext) {
    const seconds = Math.max(1, ctx.durationS / 2);
    const { openSqliteStore } = await import('../../src/store/sqlite.js');
    const { startLedger, seedMissionHistory } = await import('../../src/service.js');
    const { parseEventsBody, toProposal } = await import('../../src/http/routes/events.js');
    const results: LayerResult[] = [];

    // store: appends of IN_FLIGHT × BATCH events, as the writer makes them.
    {
      const store = openSqliteStore({ file: path.join(freshDir(ctx, 'layer-store'), 'ledger.sqlite') });
      try {
        const group = Array.from({ length: IN_FLIGHT * BATCH }, (_, i) => donation(i));
        let n = 0;
        ctx.log(`layers: store.append, ${group.length} events per append, ${seconds} s`);
        results.push(
          await timed('store.append', seconds, async () => {
            const events = group.map((e) => ({
              ...toProposal(e as Parameters<typeof toProposal>[0]),
              id: `00000000-0000-7000-8000-${(n++).toString(16).padStart(12, '0')}`,
              recordedBy: 'bench',
            }));
            await store.append('ledger', events, 'any');
            return events.length;
          }),
        );
      } finally {
        await store.close();
      }
    }

    // ledger, then parse: the writer and projector on a seeded store.
    for (const withParse of [false, true]) {
      const store = openSqliteStore({
        file: path.join(freshDir(ctx, `layer-ledger${withParse ? '-parse' : ''}`), 'ledger.sqlite'),
      });
      const ledger = await startLedger(store);
      try {
        await seedMissionHistory(ledger);
        const bodies = batchBodies(4, BATCH);
        const parsedOnce = bodies.map((b) => {
          const parsed = parseEventsBody(JSON.parse(b));
          if (!('events' in parsed))
            throw new Error(`layers: a bench body fails validation: ${JSON.stringify(parsed)}`);
          return parsed.events;
        });
        const submitOne = (i: number) => {
          let events = parsedOnce[i % parsedOnce.length]!;
          if (withParse) {
            const parsed = parseEventsBody(JSON.parse(bodies[i % bodies.length]!));
            if (!('events' in parsed)) throw new Error('layers: validation failed');
            events = parsed.events;
          }
          return ledger.writer.submit({ proposals: events.map(toProposal), recordedBy: 'anonymous' });
        };
        const layer = withParse ? 'JSON.parse + parseEventsBody + writer' : 'writer.submit (+ projector)';
        ctx.log(`layers: ${layer}, ${IN_FLIGHT} × ${BATCH} events in flight, ${seconds} s`);
        results.push(
          await timed(layer, seconds, async () => {
            const done = await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => submitOne(i)));
            return done.reduce((n, r) => n + r.events.length, 0);
          }),
        );
      } finally {
        await ledger.close();
      }
    }

    const rows: Row[] = results.flatMap((r) => [
      row({ scenario: TITLE, metric: `${r.layer}: events/s`, unit: '/s', ours: r.eventsPerSec }),
      row({ scenario: TITLE, metric: `${r.layer}: CPU per event`, unit: 'µs', ours: r.cpuUsPerEvent }),
    ]);
    return { rows, details: { batch: BATCH, inFlight: IN_FLIGHT, results } };
  },
};
