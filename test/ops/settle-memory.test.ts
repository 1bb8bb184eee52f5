/**
 * The collection once the ledger is open: a long catch-up compacts the heap it fragmented; a restore
 * from checkpoints only collects (compacting cost a quarter of a 1M restart and freed nothing more).
 */
import t from 'tap';
import { BULK_CATCH_UP } from '../../src/read/projector.js';
import { settleMemory } from '../../src/settle-memory.js';

function recorder() {
  const calls: string[] = [];
  return { calls, gc: () => void calls.push('gc'), setFlags: (flags: string) => void calls.push(flags) };
}

t.test('after a long catch-up, one compacting collection, and compaction is switched off again', async (t) => {
  const { calls, ...options } = recorder();
  t.equal(settleMemory(BULK_CATCH_UP, options), 'compacted');
  t.same(calls, ['--compact-on-every-full-gc', 'gc', '--no-compact-on-every-full-gc']);
});

t.test('after a restore with a short tail, one collection without compaction', async (t) => {
  for (const folded of [0, 1, BULK_CATCH_UP - 1]) {
    const { calls, ...options } = recorder();
    t.equal(settleMemory(folded, options), 'collected', `${folded} events folded`);
    t.same(calls, ['gc']);
  }
});

t.test('compaction is switched off again even when the collection throws', async (t) => {
  const calls: string[] = [];
  const gc = () => {
    throw new Error('boom');
  };
  t.throws(() => settleMemory(BULK_CATCH_UP * 10, { gc, setFlags: (f) => void calls.push(f) }), /boom/);
  t.same(calls, ['--compact-on-every-full-gc', '--no-compact-on-every-full-gc']);
});

t.test('without --expose-gc nothing is done', async (t) => {
  const calls: string[] = [];
  t.equal(settleMemory(BULK_CATCH_UP, { gc: undefined, setFlags: (f) => void calls.push(f) }), 'skipped');
  t.same(calls, []);
});
