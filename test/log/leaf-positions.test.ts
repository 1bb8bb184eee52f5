/**
 * The log's leaf → position column (src/log/leaf-positions.ts) keeps runs of positions that follow
 * on, or each position once runs stop paying. Whatever it keeps, it must answer as a plain array of
 * the positions would: checked against one over random histories of both kinds, rollbacks included.
 */
import t from 'tap';
import { LeafPositions } from '../../src/log/leaf-positions.js';

/** A small deterministic generator (mulberry32): the same histories at every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every answer of the column against the plain array, at a few probes around each position. */
function sameAsArray(column: LeafPositions, array: readonly number[], rnd: () => number): string | undefined {
  if (column.count !== array.length) return `count ${column.count}, not ${array.length}`;
  if (column.last !== (array.at(-1) ?? 0)) return `last ${column.last}, not ${array.at(-1) ?? 0}`;
  for (let leaf = 0; leaf < array.length; leaf++)
    if (column.at(leaf) !== array[leaf]) return `leaf ${leaf} at ${column.at(leaf)}, not ${array[leaf]}`;
  const probes = [0, ...array.flatMap((p) => [p - 1, p, p + 1]), (array.at(-1) ?? 0) + 100];
  for (let k = 0; k < 200 && probes.length > 0; k++) {
    const p = probes[Math.floor(rnd() * probes.length)]!;
    const upTo = array.filter((q) => q <= p).length;
    if (column.countUpTo(p) !== upTo) return `countUpTo(${p}) ${column.countUpTo(p)}, not ${upTo}`;
    const index = array.indexOf(p);
    if (column.indexOf(p) !== index) return `indexOf(${p}) ${column.indexOf(p)}, not ${index}`;
  }
  const from = Math.floor(rnd() * (array.length + 1));
  if (JSON.stringify(column.slice(from)) !== JSON.stringify(array.slice(from))) return `slice(${from}) differs`;
  const pieces: number[] = [];
  for (const piece of column.pieces(7)) pieces.push(...piece); // each piece is reused by the next
  if (JSON.stringify(pieces) !== JSON.stringify(array)) return 'its pieces differ';
  return undefined;
}

t.test('answers as a plain array of the positions would, over random histories', async (t) => {
  for (let seed = 1; seed <= 60; seed++) {
    const rnd = random(seed);
    // Some histories follow on almost always (the embedded store), some jump at almost every event.
    const jumpChance = seed % 3 === 0 ? 0.9 : seed % 3 === 1 ? 0.02 : 0.3;
    let column = new LeafPositions();
    const array: number[] = [];
    let position = Math.floor(rnd() * 5);
    const steps = 200 + Math.floor(rnd() * 3000);
    for (let step = 0; step < steps; step++) {
      const roll = rnd();
      if (roll < 0.01 && array.length > 0) {
        const size = Math.floor(rnd() * array.length);
        column.truncate(size); // a write group rolled back
        array.length = size;
        position = (array.at(-1) ?? 0) + Math.floor(rnd() * 3);
      } else if (roll < 0.015) {
        const parts = column.release(); // moved to another thread and back
        column = LeafPositions.adopt(parts);
      } else {
        position += rnd() < jumpChance ? 2 + Math.floor(rnd() * 1000) : 1;
        column.push(position);
        array.push(position);
      }
    }
    const problem = sameAsArray(column, array, rnd);
    if (problem) t.fail(`seed ${seed}: ${problem}`);
  }
  t.pass('every history answered as its array');
});

t.test(
  'positions that follow on are one run, however many leaves; jumps at every leaf keep each position',
  async (t) => {
    const dense = new LeafPositions();
    for (let p = 1; p <= 100_000; p++) dense.push(p);
    const parts = dense.release();
    t.equal(parts.runs, 1, 'one run for 100,000 positions that follow on');
    t.notOk(parts.each, 'and no position kept apart');

    const sparse = new LeafPositions();
    for (let i = 1; i <= 5_000; i++) sparse.push(10 * i);
    const sparseParts = sparse.release();
    t.ok(sparseParts.each, 'a position kept for each leaf once runs stop paying');
    t.equal(sparseParts.runs, 0, 'and no runs beside them');
    t.equal(LeafPositions.adopt(sparseParts).at(4_999), 50_000, 'still answering');
  },
);

t.test('out of range and mismatched parts are refused', async (t) => {
  const column = LeafPositions.from([3, 4, 5]);
  t.throws(() => column.at(3), /leaf 3 is not in 0..2/);
  t.throws(() => column.at(-1), RangeError);
  t.throws(
    () => LeafPositions.adopt({ count: 5, runs: 0, runLeaf: new Float64Array(4), runPosition: new Float64Array(4) }),
    /5 positions and none given/,
  );
  t.throws(
    () => LeafPositions.adopt({ count: 1, runs: 1, runLeaf: new Float64Array(4), runPosition: new Float64Array(2) }),
    /not one column/,
  );
  const empty = new LeafPositions();
  t.equal(empty.last, 0, 'an empty column has last 0');
  t.equal(empty.countUpTo(10), 0);
  t.equal(empty.indexOf(0), -1);
  let pieces = 0;
  for (const _ of empty.pieces()) pieces++;
  t.equal(pieces, 0, 'and no pieces');
});
