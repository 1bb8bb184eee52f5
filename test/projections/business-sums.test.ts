/**
 * The business-time sums under the time index (projections/time-index/business-sums.ts), against a
 * plain model: buckets closed at rising boundaries, facts added to a closed bucket afterwards
 * (backdated), and the sums before any boundary equal to adding up the buckets below it. The
 * nodes stay in the sorted form a checkpoint stores (each key once, ascending), and the sums
 * survive export and restore.
 */
import fc from 'fast-check';
import t from 'tap';
import { BusinessSums, DenseSums, type KeySums } from '../../projections/time-index/business-sums.js';

type Sum = { value: number; inexact: number };
type Model = Map<number, Sum>[];

const KEYS = 12;
const delta = fc.record({
  key: fc.integer({ min: 0, max: KEYS - 1 }),
  value: fc.integer({ min: -20, max: 20 }),
  inexact: fc.integer({ min: -1, max: 1 }),
});
/** Steps: close a bucket holding some deltas, or add a delta to a bucket already closed. */
const steps = fc.array(
  fc.oneof(
    {
      weight: 1,
      arbitrary: fc.record({ close: fc.array(delta, { maxLength: 6 }), gap: fc.integer({ min: 1, max: 3 }) }),
    },
    { weight: 2, arbitrary: fc.record({ backdate: delta, bucketPick: fc.nat() }) },
  ),
  { maxLength: 40 },
);

const addInto = (sums: Map<number, Sum>, key: number, value: number, inexact: number) => {
  const sum = sums.get(key) ?? { value: 0, inexact: 0 };
  sums.set(key, { value: sum.value + value, inexact: sum.inexact + inexact });
};
const nonZero = (sums: Map<number, Sum>) =>
  [...sums].filter(([, s]) => s.value !== 0 || s.inexact !== 0).sort(([a], [b]) => a - b);
const asPairs = (sums: KeySums) =>
  [...sums.keys].map((key, j) => [key, { value: sums.values[j], inexact: sums.inexact[j] }]);

type Plan = typeof steps extends fc.Arbitrary<infer T> ? T : never;

function build(plan: Plan) {
  const sums = new BusinessSums();
  const scratch = new DenseSums();
  const model: Model = [];
  const boundaries: number[] = [];
  let time = 0;
  for (const step of plan) {
    if ('close' in step) {
      const bucket = new Map<number, Sum>();
      for (const d of step.close) {
        scratch.add(d.key, d.value, d.inexact);
        addInto(bucket, d.key, d.value, d.inexact);
      }
      time += step.gap;
      sums.push(time, scratch);
      boundaries.push(time);
      model.push(bucket);
    } else if (model.length > 0) {
      const bucket = 1 + (step.bucketPick % model.length);
      sums.addDelta(bucket, step.backdate.key, step.backdate.value, step.backdate.inexact);
      addInto(model[bucket - 1]!, step.backdate.key, step.backdate.value, step.backdate.inexact);
    }
  }
  return { sums, model, boundaries };
}

const prefixOf = (sums: BusinessSums, s: number) => {
  const into = new DenseSums();
  sums.prefixInto(s, into);
  return asPairs(into.take());
};
const modelPrefix = (model: Model, s: number) => {
  const total = new Map<number, Sum>();
  for (const bucket of model.slice(0, s)) for (const [key, sum] of bucket) addInto(total, key, sum.value, sum.inexact);
  return nonZero(total);
};

t.test('the sums before each boundary equal the buckets below it added up, backdated facts included', async (t) => {
  fc.assert(
    fc.property(steps, (plan) => {
      const { sums, model } = build(plan);
      for (let s = 0; s <= model.length; s++) {
        const got = JSON.stringify(prefixOf(sums, s));
        const want = JSON.stringify(modelPrefix(model, s));
        if (got !== want) throw new Error(`before boundary ${s}: ${got} != ${want}`);
      }
      const restored = BusinessSums.from(sums.export());
      for (let s = 0; s <= model.length; s++)
        if (JSON.stringify(prefixOf(restored, s)) !== JSON.stringify(modelPrefix(model, s)))
          throw new Error(`restored, before boundary ${s}`);
    }),
    { numRuns: 400 },
  );
  t.pass('400 random plans');
});

t.test('a fact finds its bucket by the boundaries: at a boundary is after it', async (t) => {
  fc.assert(
    fc.property(steps, fc.integer({ min: -2, max: 130 }), (plan, time) => {
      const { sums, boundaries } = build(plan);
      const atOrBefore = boundaries.filter((b) => b <= time).length;
      if (sums.boundariesAtOrBefore(time) !== atOrBefore) throw new Error(`boundariesAtOrBefore(${time})`);
      if (sums.bucketOf(time) !== atOrBefore + 1) throw new Error(`bucketOf(${time})`);
      if (sums.count !== boundaries.length) throw new Error('count');
      if (sums.lastBoundary !== (boundaries.at(-1) ?? -Infinity)) throw new Error('lastBoundary');
      boundaries.forEach((b, i) => {
        if (sums.boundary(i + 1) !== b) throw new Error(`boundary(${i + 1})`);
      });
    }),
    { numRuns: 300 },
  );
  t.pass('300 random plans and times');
});

t.test('nodes are sparse and sorted: each key once, ascending, as a checkpoint stores them', async (t) => {
  fc.assert(
    fc.property(steps, (plan) => {
      const { sums } = build(plan);
      for (const node of sums.export().nodes) {
        for (let j = 1; j < node.keys.length; j++)
          if (node.keys[j - 1]! >= node.keys[j]!) throw new Error(`keys out of order: ${[...node.keys]}`);
        if (node.values.length !== node.keys.length || node.inexact.length !== node.keys.length)
          throw new Error('columns of different lengths');
      }
    }),
    { numRuns: 300 },
  );
  t.pass('300 random plans');
});

t.test('a scratch sum gives its non-zero keys once, ascending, then starts empty', async (t) => {
  fc.assert(
    fc.property(fc.array(delta, { maxLength: 60 }), fc.array(delta, { maxLength: 10 }), (first, second) => {
      const scratch = new DenseSums();
      const model = new Map<number, Sum>();
      for (const d of first) {
        scratch.add(d.key * 37, d.value, d.inexact); // sparse keys make it grow more than once
        addInto(model, d.key * 37, d.value, d.inexact);
      }
      const taken = asPairs(scratch.take());
      if (JSON.stringify(taken) !== JSON.stringify(nonZero(model))) throw new Error(`take: ${JSON.stringify(taken)}`);
      const drained: [number, Sum][] = [];
      for (const d of second) scratch.add(d.key, d.value, d.inexact);
      scratch.drain((key, value, inexact) => drained.push([key, { value, inexact }]));
      const again = new Map<number, Sum>();
      for (const d of second) addInto(again, d.key, d.value, d.inexact);
      drained.sort(([a], [b]) => a - b);
      if (JSON.stringify(drained) !== JSON.stringify(nonZero(again))) throw new Error('drain saw the first sums');
      if (scratch.take().keys.length !== 0) throw new Error('not empty after drain');
    }),
    { numRuns: 300 },
  );
  t.pass('300 random sums');
});
