/**
 * The projector folds live, event by event, as the writer appends. A fresh
 * projector replays the whole log. For random synthetic histories both must
 * give the same answer, now and for random asOf / knownAt, and every
 * snapshot-assisted answer must equal a naive fold of the filtered facts.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { donorsView } from '../../projections/donors.js';
import { inventoryView } from '../../projections/inventory.js';
import { personnelView } from '../../projections/personnel.js';
import { shipmentIds, shipmentLedgerOf } from '../../projections/shipments.js';
import { Projector, SUMS } from '../../src/read/projector.js';
import { seedSynthetic, startLedger } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

t.test('incremental projections equal a full replay, for random histories and dates', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-projector-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 300, max: 2500 }),
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), {
        minLength: 3,
        maxLength: 6,
      }),
      async (seed, count, dates) => {
        const store = openSqliteStore({ file: path.join(dir, `run-${run++}.sqlite`) });
        const ledger = await startLedger(store);
        // Small snapshot intervals, so answers go through snapshots and their corrections.
        const live = new Projector(store, { snapshotEvery: 64, lateAfterMs: 86_400_000 });
        await live.start();
        try {
          await seedSynthetic(ledger.writer, count, seed);
          await live.waitFor(await store.headPosition(), 5000);
          // The replay catches up in bulk, as a rebuild does: sorted and snapshotted once at the end.
          const replay = new Projector(store, { snapshotEvery: 64, bulkCatchUp: 1 });
          await replay.start();
          try {
            if (!replay.sharedCatchUp)
              throw new Error('the replay from zero did not share its fold with a worker thread');
            const views = (p: Projector, asOf?: number, knownAt?: number) => {
              const slice = p.slice(asOf, knownAt);
              return JSON.stringify({
                position: slice.position,
                inventory: inventoryView(p.sum('inventory', slice), p.state.catalog),
                personnel: personnelView(p.sum('personnel', slice)),
                donors: donorsView(p.sum('donors', slice), p.state.catalog),
              });
            };
            if (views(live) !== views(replay)) throw new Error('now: live and replayed projections differ');
            // Shipments made from their histories are the book's shipments, reversals and all.
            for (const [id, shipment] of ledger.writer.book.shipments) {
              const made = JSON.stringify(shipmentLedgerOf(live.state.shipmentHistories, id));
              if (made !== JSON.stringify(shipment)) throw new Error(`shipment ${id}: ${made} != book's`);
            }
            for (const id of shipmentIds(live.state.shipmentHistories))
              if (!ledger.writer.book.shipments.has(id) && shipmentLedgerOf(live.state.shipmentHistories, id))
                throw new Error(`shipment ${id}: made from history, but the book has none`);
            const from = Date.parse('2024-05-01T00:00:00Z');
            const to = Date.now();
            for (const [a, k] of dates) {
              const asOf = from + a * (to - from);
              const knownAt = from + k * (to - from);
              if (views(live, asOf, knownAt) !== views(replay, asOf, knownAt))
                throw new Error(
                  `asOf ${new Date(asOf).toISOString()} knownAt ${new Date(knownAt).toISOString()}: differ`,
                );
              const slice = live.slice(asOf, knownAt);
              for (const name of SUMS)
                for (const p of [live, replay]) {
                  const fast = JSON.stringify([...p.sum(name, slice)].sort());
                  const slow = JSON.stringify([...p.indexes[name].naive(asOf, slice.position)].sort());
                  if (fast !== slow) throw new Error(`${name} asOf ${asOf} knownAt ${knownAt}: index != naive fold`);
                }
            }
          } finally {
            await replay.close();
          }
        } finally {
          await live.close();
          await ledger.close();
        }
      },
    ),
    { numRuns: 12 },
  );
  t.pass('12 random histories: live = replay, snapshots = naive');
});
