/**
 * A tentative fold is taken back exactly: the writer folds each proposal of a
 * group into the book before the append, and rolls it back if the batch is
 * refused or the append fails. After the rollback the book must be what it
 * was, whatever the event touched (found by mutation testing: the undo of an
 * entry deleted at zero was not held by any test).
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { evolveBook, rollBack, type Book, type UndoLog } from '../../src/ledger/book.js';
import type { FoldEvent } from '../../events/postings.js';
import {
  close,
  departed,
  deployed,
  dispatch,
  donation,
  expended,
  line,
  receipt,
  reversal,
  transfer,
  world,
} from '../support/fixtures.js';
import { bookOf, record } from '../support/given.js';

/** The book's content; a Map's order is not part of it (a restored entry comes back last). */
const sorted = <V>(map: Map<string, V>) => [...map].sort(([a], [b]) => a.localeCompare(b));
const snapshot = (book: Book) =>
  JSON.stringify({
    position: book.position,
    revision: book.revision,
    parties: sorted(book.parties),
    itemTypes: sorted(book.itemTypes),
    stock: sorted(book.stock).map(([account, items]) => [account, sorted(items)]),
    headcount: sorted(book.headcount),
    shipments: sorted(book.shipments),
    serials: sorted(book.serials),
    reversed: [...book.reversed].sort(),
  });

t.test('folding an event with an undo log, then rolling back, leaves the book as it was', async (t) => {
  const gift = donation('us-inl', 'mss', [line('rifle', 10, ['AK-1', 'AK-2'])]);
  const sent = dispatch('s1', 'us-inl', 'mss', [line('apc', 2)]);
  const got = receipt('s1', [line('apc', 2)]);
  const history: IncomingEvent[] = [...world(), gift, sent, got, deployed('kenya', 20)];
  const next: [string, IncomingEvent][] = [
    ['a transfer that empties a holding', transfer('mss', 'hnp', [line('rifle', 10, ['AK-1', 'AK-2'])])],
    ['an expenditure of all the apcs', expended('mss', [line('apc', 2)])],
    ['a departure of everyone', departed('kenya', 20)],
    ['a reversal of the receipt', reversal(got.id ?? '')],
    ['a new shipment', dispatch('s2', 'mss', 'hnp', [line('rifle', 3)])],
    ['a closing', close('s1')],
  ];
  for (const [name, event] of next) {
    const recorded = record([...history, event]);
    const book = bookOf(recorded.slice(0, -1));
    const before = snapshot(book);
    const last = recorded[recorded.length - 1]!;
    const target = last.type === 'EntryReversed' ? recorded.find((e) => e.id === last.data.eventId) : undefined;
    const undo: UndoLog = [];
    evolveBook(book, (target ? { ...last, target } : last) as FoldEvent, undo);
    t.not(snapshot(book), before, `${name}: the fold changed the book`);
    rollBack(undo);
    t.equal(snapshot(book), before, `${name}: rolled back exactly`);
    t.equal(undo.length, 0, `${name}: the log is spent`);
  }
});
