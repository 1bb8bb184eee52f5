/**
 * The book's checkpoint keeps shipments as rows: through V8's serialiser and
 * back, the book must be the one that was saved, and saving must not change
 * the live book.
 */
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import t from 'tap';
import type { ShipmentLedger } from '../../events/postings.js';
import { missionHistory } from '../../seeds/mission-history.js';
import { syntheticHistory } from '../../seeds/synthetic.js';
import { bookFromCheckpoint, bookToCheckpoint, type BookCheckpoint } from '../../src/ledger/book-checkpoint.js';
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

t.test('any shipments come back as they were saved, in the same order', async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(fc.string({ maxLength: 6 }), shipment), { selector: ([id]) => id }), (rows) => {
      const book = { ...initialBook(), shipments: new Map(rows) };
      const back = throughFile(book);
      t.same([...back.shipments.keys()], [...book.shipments.keys()]);
      t.strictSame([...back.shipments.values()], [...book.shipments.values()]);
    }),
    { numRuns: 300 },
  );
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
