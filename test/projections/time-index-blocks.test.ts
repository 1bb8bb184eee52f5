/**
 * The time index's ways over blocks of recording order, each block's facts ordered by occurrence:
 * what an auditor's asOf + knownAt in the middle of a long history takes, where the other ways
 * pass over most of the log. Each of the four ways must give the naive fold's answer, on histories
 * recorded out of business order, built fact by fact, in bulk, and restored from a checkpoint; and
 * such a query must take one of them.
 */
import fc from 'fast-check';
import { deserialize, serialize } from 'node:v8';
import t from 'tap';
import { BlockOrders, LARGEST_BLOCK } from '../../projections/time-index/block-orders.js';
import { factDeltas } from '../support/time-index-grid.js';
import { TimeIndex, type BlockRoute, type IndexedFact } from '../../projections/time-index/time-index.js';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.parse('2024-06-01T00:00:00Z');
const ROUTES: BlockRoute[] = ['below-by', 'below-after', 'above-by', 'above-after'];
const KEYS = ['held|mss|rifle', 'held|hnp|rifle', 'held|mss|apc', 'transit|s1|apc', 'deployed|kenya|police'];

const asObject = (counters: Map<string, { value: number; inexact: number }>) =>
  JSON.stringify(
    Object.fromEntries(
      [...counters].filter(([, c]) => c.value !== 0 || c.inexact !== 0).sort(([a], [b]) => a.localeCompare(b)),
    ),
  );

/**
 * Facts recorded one a minute from a year after START, each dated anywhere in that year (an import
 * of old records, as the bench's synthetic history is), or on its recording; dates may tie.
 */
const history = fc
  .array(
    fc.record({
      late: fc.boolean(),
      day: fc.integer({ min: 0, max: 364 }),
      deltas: factDeltas(KEYS, 50, 3),
    }),
    { minLength: 1, maxLength: 150 },
  )
  .map((steps) =>
    steps.map((step, i): IndexedFact => {
      const recorded = START + 365 * DAY + i * 60_000;
      return {
        recorded,
        occurred: step.late ? START + step.day * DAY : recorded,
        position: i + 1,
        deltas: step.deltas,
      };
    }),
  );

type Build = 'stepwise' | 'bulk' | 'restored';

function build(facts: IndexedFact[], snapshotEvery: number, how: Build, cut: number): TimeIndex {
  let index = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
  const at = cut % (facts.length + 1);
  if (how === 'bulk') index.beginBulk();
  for (const fact of facts.slice(0, at)) index.add(fact);
  if (how === 'bulk') index.endBulk();
  if (how === 'restored') index = TimeIndex.from(deserialize(serialize(index.export())));
  for (const fact of facts.slice(at)) index.add(fact);
  return index;
}

t.test('each way over the blocks gives the naive fold’s answer', async (t) => {
  fc.assert(
    fc.property(
      history,
      fc.integer({ min: 1, max: 9 }),
      fc.constantFrom<Build>('stepwise', 'bulk', 'restored'),
      fc.nat(),
      fc.array(fc.tuple(fc.integer({ min: -2, max: 370 }), fc.integer({ min: 0, max: 155 })), {
        minLength: 1,
        maxLength: 8,
      }),
      (facts, snapshotEvery, how, cut, queries) => {
        const index = build(facts, snapshotEvery, how, cut);
        for (const [day, position] of queries) {
          const asOf = START + day * DAY;
          const slow = asObject(index.naive(asOf, position));
          for (const route of ROUTES) {
            const fast = asObject(index.queryByBlocks(asOf, position, route));
            if (fast !== slow)
              throw new Error(
                `${how}, every ${snapshotEvery}, ${route}, asOf day ${day}, known at ${position}: ${fast} != ${slow}`,
              );
          }
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 histories, four ways each, agree');
});

/** A seeded generator, so that the history below is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

t.test('a query in the middle of a history imported out of order takes a way over the blocks', async (t) => {
  const random = seeded(13);
  const count = 4000;
  const recordedFrom = START + 400 * DAY;
  const facts: IndexedFact[] = Array.from({ length: count }, (_, i) => ({
    recorded: recordedFrom + i * 60_000,
    occurred: START + Math.floor(random() * 365) * DAY,
    position: i + 1,
    deltas: [
      { key: KEYS[Math.floor(random() * KEYS.length)]!, value: 1 + Math.floor(random() * 9), inexact: 0 },
      { key: KEYS[Math.floor(random() * KEYS.length)]!, value: -1, inexact: random() < 0.1 ? 1 : 0 },
    ],
  }));
  const stepwise = build(facts, 64, 'stepwise', 0);
  const restored = build(facts, 64, 'restored', 2500);
  const ways = new Set<string>();
  for (const index of [stepwise, restored])
    for (const asOfFraction of [0.2, 0.35, 0.5, 0.65, 0.8])
      for (const knownFraction of [0.2, 0.35, 0.5, 0.65, 0.8]) {
        const asOf = START + Math.floor(asOfFraction * 365) * DAY;
        const position = Math.floor(knownFraction * count);
        const knownAtTime = facts[position - 1]!.recorded;
        const answer = asObject(index.query(asOf, position, knownAtTime));
        t.equal(answer, asObject(index.naive(asOf, position)), `asOf ${asOfFraction}, known at ${knownFraction}`);
        t.ok(
          (ROUTES as string[]).includes(index.lastWay),
          `asOf ${asOfFraction}, known at ${knownFraction}: over the blocks (took ${index.lastWay})`,
        );
        ways.add(index.lastWay);
      }
  t.same([...ways].sort(), [...ROUTES].sort(), 'the corners of the middle take each of the four ways');
});

t.test('a query near the head or the start of both still takes the cheaper plain way', async (t) => {
  const facts: IndexedFact[] = Array.from({ length: 1000 }, (_, i) => ({
    recorded: START + 400 * DAY + i * 60_000,
    occurred: START + ((i * 7919) % 365) * DAY,
    position: i + 1,
    deltas: [{ key: KEYS[i % KEYS.length]!, value: 1, inexact: 0 }],
  }));
  const index = build(facts, 64, 'stepwise', 0);
  // Known just before the head: the few facts recorded since are fewer than a block plan's searches.
  const asOf = START + 180 * DAY;
  t.equal(asObject(index.query(asOf, 995, facts[994]!.recorded)), asObject(index.naive(asOf, 995)));
  t.equal(index.lastWay, 'as-of-less-late');
});

t.test('block orders made one block at a time are those made from the whole order at once', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }),
      fc.integer({ min: 1, max: 17 }),
      (times, size) => {
        const occurred = (i: number) => times[i]!;
        const stepwise = new BlockOrders(size);
        for (let filled = size; filled <= times.length; filled += size) stepwise.orderNext(occurred);
        const order = Uint32Array.from(times.keys()).sort((a, b) => times[a]! - times[b]! || a - b);
        const whole = BlockOrders.fromOrder(size, order, times.length);
        if (stepwise.count !== Math.floor(times.length / size) || whole.count !== stepwise.count)
          throw new Error(`${stepwise.count} and ${whole.count} blocks for ${times.length} facts of ${size}`);
        for (let b = 0; b < whole.count; b++)
          for (let r = 0; r < size; r++) {
            const fact = whole.fact(b, r);
            if (fact !== stepwise.fact(b, r))
              throw new Error(`block ${b} rank ${r}: ${fact} != ${stepwise.fact(b, r)}`);
            if (Math.floor(fact / size) !== b) throw new Error(`fact ${fact} is not in block ${b}`);
            if (r > 0) {
              const previous = whole.fact(b, r - 1);
              if (times[previous]! > times[fact]! || (times[previous] === times[fact] && previous > fact))
                throw new Error(`block ${b} is out of order at rank ${r}`);
            }
          }
        for (let b = 0; b < whole.count; b++)
          for (const time of [-1, 0, 7, 20])
            if (
              whole.countBy(b, time, occurred) !== times.slice(b * size, (b + 1) * size).filter((x) => x <= time).length
            )
              throw new Error(`block ${b} miscounts the facts by ${time}`);
        const restored = BlockOrders.from(size, whole.export());
        if (restored.count !== whole.count) throw new Error('the restored orders lost blocks');
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random occurrences agree');
});

t.test('a block holds 1 to 65,536 facts, and restored orders are whole blocks', async (t) => {
  t.throws(() => new BlockOrders(0), { name: 'RangeError', message: /^a block holds 1 to 65536 facts, not 0$/ });
  t.throws(() => new BlockOrders(LARGEST_BLOCK + 1), {
    name: 'RangeError',
    message: /^a block holds 1 to 65536 facts, not 65537$/,
  });
  t.throws(() => new BlockOrders(2.5), { name: 'RangeError', message: /^a block holds 1 to 65536 facts, not 2\.5$/ });
  t.doesNotThrow(() => new BlockOrders(LARGEST_BLOCK));
  t.throws(() => BlockOrders.from(4, new Uint16Array(6)), /not whole blocks of 4/);
  t.equal(BlockOrders.from(4, new Uint16Array(8)).count, 2);
});
