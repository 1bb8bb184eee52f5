/**
 * Columns keep a long history's numbers in chunks: every value must read
 * back as pushed, across chunk boundaries, through a checkpoint's export and
 * restore at any length, and after a 32-bit column turns into doubles.
 */
import fc from 'fast-check';
import t from 'tap';
import { Column, PositionColumn, QuantityColumn } from '../../projections/time-index/column.js';

const doubles = (n: number) => new Float64Array(n);

t.test('values read back as pushed and set, across chunks and through export and restore', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 40_000 }), (count, more) => {
      const column = new Column(doubles);
      for (let i = 0; i < count; i++) column.push(i * 0.5);
      if (count > 0) column.set(count - 1, -1);
      const expected = (i: number) => (i === count - 1 ? -1 : i * 0.5);
      const restored = Column.of(doubles, column.export());
      for (let i = 0; i < more; i++) restored.push(count + i);
      if (restored.length !== count + more) throw new Error(`length ${restored.length}`);
      for (let i = 0; i < count; i++)
        if (column.at(i) !== expected(i) || restored.at(i) !== expected(i)) throw new Error(`at ${i}`);
      for (let i = 0; i < more; i++) if (restored.at(count + i) !== count + i) throw new Error(`pushed ${i}`);
      const exported = restored.export();
      if (
        exported.length !== count + more ||
        (count + more > 0 && exported[count + more - 1] !== restored.at(count + more - 1))
      )
        throw new Error('export');
    }),
    { numRuns: 40 },
  );
  t.pass('40 random lengths');
});

t.test('a 32-bit column turns into doubles at the first value that does not fit, and keeps every value', async (t) => {
  const positions = new PositionColumn();
  for (let i = 1; i <= 70_000; i++) positions.push(i);
  t.notOk(positions.wide);
  positions.push(2 ** 40);
  t.ok(positions.wide);
  t.equal(positions.at(69_999), 70_000);
  t.equal(positions.at(70_000), 2 ** 40);
  const restored = PositionColumn.restore(positions.export());
  restored.push(2 ** 41);
  t.equal(restored.at(70_001), 2 ** 41);
  const quantities = new QuantityColumn();
  quantities.push(-5);
  t.notOk(quantities.wide, 'a small negative quantity fits in 32 bits');
  quantities.push(3_000_000_000);
  t.ok(quantities.wide);
  t.same([quantities.at(0), quantities.at(1)], [-5, 3_000_000_000]);
  // A column restored from 32 bits stays 32-bit: its export (what a checkpoint stores) too.
  const narrow = PositionColumn.restore(Uint32Array.from([1, 2, 3]));
  narrow.push(4);
  t.ok(narrow.export() instanceof Uint32Array);
  t.notOk(narrow.wide);
});
