/** The block-sorted order must equal a plain sort by (occurred, index), whatever the order of insertion. */
import fc from 'fast-check';
import t from 'tap';
import { SortedBlocks } from '../../projections/time-index/sorted-blocks.js';

t.test('inserting in any order keeps (occurred, index) order, ranks and bounds right', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 0, maxLength: 3000 }),
      fc.integer({ min: -1, max: 51 }),
      (times, probe) => {
        const list = new SortedBlocks((i) => times[i]!);
        times.forEach((_, i) => list.insert(i));
        const expected = times.map((_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
        const actual = Array.from(list.toArray());
        if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error('order differs');
        for (let k = 0; k < expected.length; k += 97)
          if (list.at(k) !== expected[k]) throw new Error(`at(${k}) differs`);
        const lower = expected.findIndex((i) => times[i]! >= probe);
        const upper = expected.findIndex((i) => times[i]! > probe);
        if (list.lowerBound(probe) !== (lower < 0 ? expected.length : lower)) throw new Error('lowerBound differs');
        if (list.upperBound(probe) !== (upper < 0 ? expected.length : upper)) throw new Error('upperBound differs');
        const copy = SortedBlocks.from(list.toArray(), (i) => times[i]!);
        if (copy.length !== list.length || (expected.length > 0 && copy.at(expected.length - 1) !== list.last()))
          throw new Error('a copy from an export differs');
      },
    ),
    { numRuns: 200 },
  );
  t.pass('200 random insertion orders');
});

t.test('an order built in bulk takes inserts anywhere, as if every fact had been inserted', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 0, maxLength: 3000 }),
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 0, maxLength: 1500 }),
      (bulk, later) => {
        const times = [...bulk, ...later];
        const sorted = Uint32Array.from(bulk.map((_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b));
        const list = SortedBlocks.from(sorted, (i) => times[i]!);
        later.forEach((_, j) => list.insert(bulk.length + j));
        const expected = times.map((_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
        if (JSON.stringify(Array.from(list.toArray())) !== JSON.stringify(expected)) throw new Error('order differs');
        for (let k = 0; k < expected.length; k += 89)
          if (list.at(k) !== expected[k]) throw new Error(`at(${k}) differs`);
      },
    ),
    { numRuns: 200 },
  );
  t.pass('200 bulk orders with inserts');
});

t.test('ranks read between inserts are right at every step (blocks splitting meanwhile)', async (t) => {
  fc.assert(
    fc.property(
      // Long enough that blocks (512 to 1,024 facts) split, several times; made from a seed, as
      // fast-check's own long arrays are slow to generate.
      fc.integer(),
      fc.integer({ min: 1100, max: 2600 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 1, max: 300 }),
      (seed, count, spread, every) => {
        let state = seed >>> 0;
        const next = () => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0);
        const times = Array.from({ length: count }, () => next() % (spread + 1));
        const list = new SortedBlocks((i) => times[i]!);
        const sorted: number[] = [];
        const firstAfter = (time: number) => {
          let lo = 0;
          for (let hi = sorted.length; lo < hi;) {
            const mid = (lo + hi) >>> 1;
            if (times[sorted[mid]!]! > time) hi = mid;
            else lo = mid + 1;
          }
          return lo;
        };
        times.forEach((time, i) => {
          list.insert(i);
          const at = firstAfter(time);
          sorted.splice(at, 0, i);
          if (i % every !== 0) return;
          // Reads by rank, at and around where the last insert landed; every other time a bound is read
          // first, so that each kind of read meets ranks the inserts left stale.
          const bound = () => {
            if (list.upperBound(time) !== firstAfter(time))
              throw new Error(`after ${i + 1} inserts, upperBound differs`);
          };
          if ((i / every) % 2 === 1) bound();
          for (const k of [0, at, sorted.length - 1, Math.floor(sorted.length / 2)])
            if (list.at(k) !== sorted[k]) throw new Error(`after ${i + 1} inserts, at(${k}) differs`);
          bound();
          if (i === count - 1 && JSON.stringify(Array.from(list.toArray())) !== JSON.stringify(sorted))
            throw new Error('toArray differs');
        });
      },
    ),
    { numRuns: 40 },
  );
  t.pass('40 interleavings of inserts and reads');
});

t.test('facts inserted out of index order still sort by (occurred, index)', async (t) => {
  const times = [9, 1, 5, 5, 5];
  const list = new SortedBlocks((i) => times[i]!);
  for (const i of [4, 3, 2, 1, 0]) list.insert(i);
  t.same(Array.from(list.toArray()), [1, 2, 3, 4, 0]);
});

t.test('an order built in bulk of whole blocks knows its last fact', async (t) => {
  for (const count of [512, 1024]) {
    const list = SortedBlocks.from(
      Uint32Array.from({ length: count }, (_, i) => i),
      (i) => i,
    );
    t.equal(list.last(), count - 1, `${count} facts`);
  }
});

t.test('a block that splits while an earlier block has grown: every rank is right after', async (t) => {
  const times: number[] = [];
  const list = new SortedBlocks((i) => times[i]!);
  const add = (time: number) => list.insert(times.push(time) - 1);
  for (let i = 0; i < 1025; i++) add(10); // two blocks of 512 and 513
  t.equal(list.at(0), 0, 'a read brings the ranks up to date');
  for (let i = 0; i < 511; i++) add(10); // the second block full, at 1,024
  add(0); // the first block grows
  add(10); // the second block splits
  const order = Array.from(list.toArray());
  t.ok(
    order.every((index, rank) => list.at(rank) === index),
    'at(rank) agrees with the order',
  );
});
