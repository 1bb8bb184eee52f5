/**
 * Where write time goes, layer by layer, in the bench process (no HTTP, no
 * load generator competing for the CPU). Each layer adds one part of the
 * path an event takes, in groups shaped as the two write loads shape them:
 * 20 arrays of 100 events in flight (20 connections posting batches), and 35
 * single events in flight (50 connections posting one event each put 33–39
 * events in a commit in the `post` runs):
 *
 *   store   openSqliteStore().append: one append of 2,000 events at a time
 *   ledger  + the writer (decide, book, conditional append) and the projector
 *   log     + the verifiable log, as the service opens the ledger: every event a
 *           leaf of the Merkle tree, a signed checkpoint per group
 *   parse   + parseEventsBody and toProposal on JSON text, as the route does
 *
 * CPU is the whole process's (every thread: the log hashes and signs on its
 * own), per event. Compare with `sqlite` (the raw insert loop) and `post` and
 * `batch` (the same over HTTP, beside the fair peer's whole request). It
 * imports the project's own modules, so an API change there shows up here as
 * a failed scenario rather than a wrong figure.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { batchBodies, donation, singleBodies } from '../lib/bodies.js';
import { freshDir } from '../lib/child.js';
import { row, type BenchContext, type Row, type Scenario } from '../lib/types.js';

const TITLE = 'Write path in-process';
const BATCH = 100;
const IN_FLIGHT = 20;
/** Single events in a write group under 50 connections posting one each (the `post` runs' events per commit). */
const SINGLES_IN_FLIGHT = 35;

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
    const { openLedger, startLedger, seedMissionHistory } = await import('../../src/service.js');
    const { loadConfig } = await import('../../src/config.js');
    const { DEV_ORIGIN, devKeyFile } = await import('../../src/log/keys.js');
    const { generateSignerKey } = await import('../../src/log/note.js');
    const { parseEventsBody, toProposal } = await import('../../src/http/routes/events.js');
    const results: LayerResult[] = [];
    const ledgerWithoutLog = async (dir: string) => {
      const ledger = await startLedger(openSqliteStore({ file: path.join(dir, 'ledger.sqlite') }));
      await seedMissionHistory(ledger);
      return ledger;
    };
    // As the service opens it on its data directory (seeded), the log with it; the development key
    // is made here, so that the service's first-start message does not interleave with the bench's.
    const ledgerWithLog = async (dir: string) => {
      writeFileSync(devKeyFile(dir), `${generateSignerKey(DEV_ORIGIN)}\n`, { mode: 0o600 });
      return openLedger(loadConfig({ DATA_DIR: dir, SEED_ON_EMPTY: 'true', LOG_LEVEL: 'silent' }));
    };

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

    // ledger, log, then parse: the writer and projector on a seeded store, in both shapes of group.
    const shapes = [
      { batch: BATCH, inFlight: IN_FLIGHT, name: '' },
      { batch: 1, inFlight: SINGLES_IN_FLIGHT, name: `, ${SINGLES_IN_FLIGHT} single events in flight` },
    ];
    const steps = [
      { log: false, parse: false, layer: 'writer.submit (+ projector)' },
      { log: true, parse: false, layer: 'writer.submit with the log (+ projector)' },
      { log: true, parse: true, layer: 'JSON.parse + parseEventsBody + writer with the log' },
    ];
    for (const shape of shapes)
      for (const step of steps) {
        const dir = freshDir(ctx, `layer-${step.log ? 'log' : 'ledger'}${step.parse ? '-parse' : ''}-${shape.batch}`);
        const ledger = step.log ? await ledgerWithLog(dir) : await ledgerWithoutLog(dir);
        try {
          const bodies = shape.batch === 1 ? singleBodies(16) : batchBodies(4, shape.batch);
          const parse = (body: string) => {
            const parsed = parseEventsBody(JSON.parse(body));
            if (!('events' in parsed))
              throw new Error(`layers: a bench body fails validation: ${JSON.stringify(parsed)}`);
            return parsed.events;
          };
          const parsedOnce = bodies.map(parse);
          const submitOne = (i: number) => {
            const events = step.parse ? parse(bodies[i % bodies.length]!) : parsedOnce[i % parsedOnce.length]!;
            return ledger.writer.submit({ proposals: events.map(toProposal), recordedBy: 'anonymous' });
          };
          const layer = `${step.layer}${shape.name}`;
          ctx.log(`layers: ${layer} (${shape.inFlight} × ${shape.batch} events in flight), ${seconds} s`);
          results.push(
            await timed(layer, seconds, async () => {
              const done = await Promise.all(Array.from({ length: shape.inFlight }, (_, i) => submitOne(i)));
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
    return { rows, details: { batch: BATCH, inFlight: IN_FLIGHT, singlesInFlight: SINGLES_IN_FLIGHT, results } };
  },
};
