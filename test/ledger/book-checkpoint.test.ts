/**
 * The book's checkpoint keeps shipments and serials as columns over a table of
 * strings: through V8's serialiser and back, the book must be the one that was
 * saved, and saving must not change the live book.
 */
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import t from 'tap';
import type { ShipmentLedger } from '../../events/postings.js';
import { missionHistory } from '../../seeds/mission-history.js';
import { syntheticHistory } from '../../seeds/synthetic.js';
import {
  BookBuilder,
  bookFromCheckpoint,
  bookToCheckpoint,
  type BookCheckpoint,
} from '../../src/ledger/book-checkpoint.js';
import { initialBook, type Book } from '../../src/ledger/book.js';
import { bookOf, record } from '../support/given.js';

const throughFile = (book: Book): Book =>
  bookFromCheckpoint(deserialize(serialize(bookToCheckpoint(book))) as BookCheckpoint);

const shipment: fc.Arbitrary<ShipmentLedger> = fc.record(
  {
    from: fc.string({ maxLength: 8 }),
    to: fc.string({ maxLength: 8 }),
    lines: fc.array(
      fc.record(
        {
          itemType: fc.string({ maxLength: 8 }),
          dispatched: fc.double({ noNaN: true }),
          received: fc.double({ noNaN: true }),
          writtenOff: fc.double({ noNaN: true }),
        },
        { noNullPrototype: true },
      ),
      { maxLength: 4 },
    ),
    closed: fc.boolean(),
    writeOffReason: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
    activeReceipts: fc.nat(),
  },
  { noNullPrototype: true },
);

const ids = fc.string({ maxLength: 6 });
/** A book's shipments by id, and its serials' holders by serial: each id once. */
const shipmentRows = fc.uniqueArray(fc.tuple(ids, shipment), { selector: ([id]) => id });
const serialRows = fc.uniqueArray(fc.tuple(ids, fc.string({ maxLength: 6 })), { selector: ([serial]) => serial });

t.test('any shipments and serials come back as they were saved, in the same order', async (t) => {
  fc.assert(
    fc.property(shipmentRows, serialRows, (rows, holders) => {
      const book = { ...initialBook(), shipments: new Map(rows), serials: new Map(holders) };
      const back = throughFile(book);
      t.same([...back.shipments.keys()], [...book.shipments.keys()]);
      t.strictSame([...back.shipments.values()], [...book.shipments.values()]);
      t.strictSame([...back.serials], [...book.serials]);
    }),
    { numRuns: 300 },
  );
});

t.test('a book built a part at a time, of any size, is the book built at once', async (t) => {
  fc.assert(
    fc.property(shipmentRows, serialRows, fc.integer({ min: 1, max: 7 }), (rows, holders, part) => {
      const saved = bookToCheckpoint({ ...initialBook(), shipments: new Map(rows), serials: new Map(holders) });
      const interned: string[] = [];
      const builder = new BookBuilder(deserialize(serialize(saved)) as BookCheckpoint, (s) => {
        interned.push(s);
        return s;
      });
      let steps = 1;
      while (builder.step(part)) steps++;
      const whole = bookFromCheckpoint(deserialize(serialize(saved)) as BookCheckpoint);
      const parts = builder.finish();
      t.equal(steps, Math.max(1, Math.ceil((rows.length + holders.length) / part)), 'the parts are the size asked');
      t.same([...parts.shipments.keys()], [...whole.shipments.keys()]);
      t.strictSame([...parts.shipments.values()], [...whole.shipments.values()]);
      t.strictSame([...parts.serials], [...whole.serials]);
      t.same(interned, [...rows.map(([id]) => id), ...holders.map(([serial]) => serial)], 'each id interned once');
    }),
    { numRuns: 200 },
  );
});

t.test('each string the columns repeat is kept once', async (t) => {
  const line = (itemType: string) => ({ itemType, dispatched: 1, received: 0, writtenOff: 0 });
  const book = {
    ...initialBook(),
    shipments: new Map<string, ShipmentLedger>([
      [
        's1',
        {
          from: 'usa',
          to: 'mss',
          lines: [line('radio'), line('apc')],
          closed: false,
          writeOffReason: undefined,
          activeReceipts: 0,
        },
      ],
      [
        's2',
        { from: 'mss', to: 'hnp', lines: [line('radio')], closed: true, writeOffReason: 'lost', activeReceipts: 1 },
      ],
    ]),
    serials: new Map([
      ['R-1', 'mss'],
      ['R-2', 'lost'],
    ]),
  };
  const saved = bookToCheckpoint(book);
  t.same([...saved.strings].sort(), ['apc', 'hnp', 'lost', 'mss', 'radio', 'usa']);
  t.same(saved.shipments.ids, ['s1', 's2']);
  t.same(saved.serials.ids, ['R-1', 'R-2']);
});

t.test("a ledger's book comes back whole, and saving it changes nothing", async (t) => {
  const history = [...missionHistory, ...syntheticHistory(3_000, { seed: 11 })];
  const book = bookOf(record(history));
  t.ok(book.shipments.size > 100, `${book.shipments.size} shipments`);
  const before = structuredClone(book);
  const back = throughFile(book);
  t.strictSame(back, book, 'every field of the book');
  t.strictSame(book, before, 'the live book is untouched');
  t.ok(
    serialize(bookToCheckpoint(book)).length < serialize(book).length * 0.8,
    'and its file is smaller than the book serialised as it is',
  );
});
