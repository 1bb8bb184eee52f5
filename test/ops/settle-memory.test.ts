/**
 * The start's garbage, let go in two steps. Before the listen, only after a long catch-up: a
 * compacting collection, then a plain one that finishes the first's sweeping. After the listen,
 * one plain collection (after a restore, compacting cost a quarter of a 1M restart and freed
 * nothing more).
 */
import t from 'tap';
import { BULK_CATCH_UP } from '../../src/read/projector.js';
import { settleMemory } from '../../src/settle-memory.js';

function recorder() {
  const calls: string[] = [];
  return { calls, gc: () => void calls.push('gc'), setFlags: (flags: string) => void calls.push(flags) };
}

t.test(
  'before the listen, after a long catch-up: a compacting collection, compaction off again, one more',
  async (t) => {
    const { calls, ...options } = recorder();
    t.equal(settleMemory(BULK_CATCH_UP, 'before-listen', options), 'compacted');
    t.same(calls, ['--compact-on-every-full-gc', 'gc', '--no-compact-on-every-full-gc', 'gc']);
  },
);

t.test('before the listen, after a restore with a short tail: nothing, so a restart does not wait', async (t) => {
  for (const folded of [0, 1, BULK_CATCH_UP - 1]) {
    const { calls, ...options } = recorder();
    t.equal(settleMemory(folded, 'before-listen', options), 'skipped', `${folded} events folded`);
    t.same(calls, []);
  }
});

t.test('after the listen: one collection without compaction, whatever was folded', async (t) => {
  for (const folded of [0, BULK_CATCH_UP - 1, BULK_CATCH_UP, BULK_CATCH_UP * 10]) {
    const { calls, ...options } = recorder();
    t.equal(settleMemory(folded, 'after-listen', options), 'collected', `${folded} events folded`);
    t.same(calls, ['gc']);
  }
});

t.test('compaction is switched off again even when the collection throws', async (t) => {
  const calls: string[] = [];
  const gc = () => {
    throw new Error('boom');
  };
  t.throws(
    () => settleMemory(BULK_CATCH_UP * 10, 'before-listen', { gc, setFlags: (f) => void calls.push(f) }),
    /boom/,
  );
  t.same(calls, ['--compact-on-every-full-gc', '--no-compact-on-every-full-gc']);
});

t.test('without --expose-gc nothing is done', async (t) => {
  for (const when of ['before-listen', 'after-listen'] as const) {
    const calls: string[] = [];
    t.equal(settleMemory(BULK_CATCH_UP, when, { gc: undefined, setFlags: (f) => void calls.push(f) }), 'skipped');
    t.same(calls, []);
  }
});
