/**
 * Columns keep a long history's numbers in chunks: every value must read
 * back as pushed, across chunk boundaries, through a checkpoint's export and
 * restore at any length, and after a 32-bit column turns into doubles.
 */
import fc from 'fast-check';
import t from 'tap';
import {
  Column,
  int8s,
  PositionColumn,
  QuantityColumn,
  SmallIntColumn,
  uint16s,
} from '../../projections/time-index/column.js';

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

t.test(
  'bytes and 16-bit numbers read back as pushed and set, across chunks and through export and restore',
  async (t) => {
    // SmallIntColumn writes Column's accesses out again (column.ts says why): they must do the same.
    for (const [name, make, value] of [
      ['Int8Array', int8s, (i: number) => (i % 255) - 127],
      ['Uint16Array', uint16s, (i: number) => (i * 7) % 65_536],
    ] as const) {
      const count = 3 * 32_768 + 5;
      const column = new SmallIntColumn<Int8Array | Uint16Array>(make);
      for (let i = 0; i < count; i++) column.push(value(i));
      column.set(40_000, value(1));
      const expected = (i: number) => (i === 40_000 ? value(1) : value(i));
      const restored = SmallIntColumn.restore<Int8Array | Uint16Array>(make, column.parts());
      restored.push(value(count));
      const wrong = [];
      for (let i = 0; i < count; i++) if (column.at(i) !== expected(i) || restored.at(i) !== expected(i)) wrong.push(i);
      t.same(wrong.slice(0, 3), [], `${name}: every value, in every chunk`);
      t.equal(restored.at(count), value(count), `${name}: a restored column grows on`);
      t.equal(restored.export().length, count + 1);
      t.ok(restored instanceof SmallIntColumn, `${name}: restored as its own kind`);
    }
  },
);

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

/** A chunk of a column after its first: 32,768 numbers (column.ts). */
const CHUNK = 32_768;

t.test(
  "a column's parts are its own chunks, not copies; one taken up from them reads the same and grows on alone",
  async (t) => {
    for (const count of [0, 1, 1024, 1025, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5]) {
      const column = new Column(doubles);
      for (let i = 0; i < count; i++) column.push(i * 0.5);
      const parts = column.parts();
      t.equal(
        parts.reduce((sum, part) => sum + part.length, 0),
        count,
        `${count}: every number once`,
      );
      t.ok(
        parts.slice(0, -1).every((part) => part.length === CHUNK),
        `${count}: whole chunks but the last`,
      );
      if (count > 0) {
        parts[0]![0] = 42;
        t.equal(column.at(0), 42, `${count}: a part is the column's memory`);
        parts[0]![0] = 0;
      }
      const restored = Column.of(doubles, parts);
      for (let i = 0; i < 100; i++) restored.push(-i);
      t.equal(restored.length, count + 100, `${count}: taken up, and grown on`);
      let same = true;
      for (let i = 0; i < count; i++) same &&= restored.at(i) === i * 0.5;
      for (let i = 0; i < 100; i++) same &&= restored.at(count + i) === -i;
      t.ok(same, `${count}: reads what was pushed`);
      t.equal(column.length, count, `${count}: the column it came from did not grow`);
      if (count > 0) t.equal(column.at(count - 1), (count - 1) * 0.5, `${count}: nor change`);
    }
    // Parts cut anywhere else (none this code writes) are joined first, and read the same.
    const flat = Float64Array.from({ length: CHUNK + 10 }, (_, i) => i);
    const cut = Column.of(doubles, [flat.subarray(0, 5), flat.subarray(5, CHUNK + 7), flat.subarray(CHUNK + 7)]);
    t.equal(cut.length, CHUNK + 10);
    t.same([cut.at(4), cut.at(5), cut.at(CHUNK), cut.at(CHUNK + 9)], [4, 5, CHUNK, CHUNK + 9], 'parts cut off chunks');
    // A widened column's parts are doubles, and it comes back wide.
    const positions = new PositionColumn();
    for (let i = 1; i <= CHUNK + 3; i++) positions.push(i);
    positions.push(2 ** 40);
    const wide = PositionColumn.restore(positions.parts());
    t.ok(wide.wide, 'wide from its parts');
    t.same([wide.at(0), wide.at(CHUNK + 3)], [1, 2 ** 40]);
    t.notOk(PositionColumn.restore(new PositionColumn().parts()).wide, 'an empty one stays narrow');
  },
);
