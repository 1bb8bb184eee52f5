/** The shipments projection: given a shipment's events, then its status, lines and write-offs, for any date. */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import {
  emptyShipmentHistories,
  evolveShipmentHistories,
  shipmentAt,
  shipmentLedgerOf,
  ShipmentLookups,
} from '../../projections/shipments.js';
import type { FoldEvent, ShipmentLedger } from '../../events/postings.js';
import { evolveShipments } from '../../src/ledger/shipments.js';
import { close, dispatch, line, receipt, reversal, world } from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

const NOW = Number.MAX_SAFE_INTEGER;
const historiesOf = (history: IncomingEvent[]) => {
  const histories = emptyShipmentHistories();
  foldAll(record(history), (event) => evolveShipmentHistories(histories, event));
  return histories;
};
const view = (history: IncomingEvent[], asOf = NOW, knownAt = NOW) => {
  return shipmentAt(historiesOf(history), 's1', asOf, knownAt);
};
const day = (date: string) => Date.parse(`${date}T23:59:59.999Z`);

t.test('a shipment moves from dispatched to partially received to closed short', async (t) => {
  const sent = [...world(), dispatch('s1', 'us-inl', 'mss', [line('apc', 4), line('rounds', 1000)], '2025-02-01')];
  t.match(view(sent), { status: 'dispatched', from: 'us-inl', to: 'mss', leadTimeDays: null });
  const partly = [...sent, receipt('s1', [line('apc', 3)], '2025-02-05')];
  t.match(view(partly), {
    status: 'partially-received',
    leadTimeDays: 4,
    lines: [
      { itemType: 'apc', dispatched: 4, received: 3, short: 1, writtenOff: 0 },
      { itemType: 'rounds', dispatched: 1000, received: 0, short: 1000 },
    ],
  });
  const closed = [...partly, close('s1', '2025-02-20')];
  t.match(view(closed), {
    status: 'closed',
    writeOffReason: 'lost',
    lines: [
      { itemType: 'apc', short: 1, writtenOff: 1 },
      { itemType: 'rounds', short: 1000, writtenOff: 1000 },
    ],
  });
  t.match(view(closed, day('2025-02-10')), { status: 'partially-received' }, 'as of before the closing');
  t.equal(view(closed, day('2025-01-31')), undefined, 'as of before the dispatch: no shipment');
});

t.test('everything received: received', async (t) => {
  const history = [...world(), dispatch('s1', 'us-inl', 'mss', [line('apc', 2)]), receipt('s1', [line('apc', 2)])];
  t.match(view(history), { status: 'received', lines: [{ short: 0 }] });
});

t.test('a reversed receipt no longer counts, once the reversal is known', async (t) => {
  const got = receipt('s1', [line('apc', 2)]);
  const history = [...world(), dispatch('s1', 'us-inl', 'mss', [line('apc', 2)]), got, reversal(got.id ?? '')];
  const recorded = record(history);
  const reversalPosition = recorded[recorded.length - 1]!.globalPosition;
  t.match(view(history), { status: 'dispatched', lines: [{ received: 0 }] });
  t.match(view(history, NOW, reversalPosition - 1), { status: 'received' }, 'before the reversal was recorded');
});

t.test("a shipment made from its history is the book's shipment, after every event and reversal", async (t) => {
  const got = receipt('s1', [line('apc', 1)], '2025-02-05');
  const closing = close('s1', '2025-02-20');
  const sent = dispatch('s1', 'us-inl', 'mss', [line('apc', 4), line('rounds', 100), line('apc', 1)], '2025-02-01');
  const again = dispatch('s1', 'us-inl', 'hnp', [line('rounds', 50)], '2025-03-01');
  const history = [
    ...world(),
    sent,
    got,
    receipt('s1', [line('rounds', 40)], '2025-02-06'),
    closing,
    reversal(got.id ?? ''), // a receipt undone after the closing: the write-off stays as it was
    reversal(closing.id ?? ''), // reopened
    receipt('s1', [line('apc', 2)], '2025-03-02'),
    close('s1', '2025-03-10'),
  ];
  // After each event, the book's fold and the one made from the history agree.
  const recorded = record(history);
  const byId = new Map(recorded.map((e) => [e.id, e]));
  const shipments = new Map<string, ShipmentLedger>();
  const made = emptyShipmentHistories();
  // The fold's lookups: kept while open, made from the history once closed.
  const lookups = new ShipmentLookups(made);
  for (const event of recorded) {
    const target = event.type === 'EntryReversed' ? byId.get(event.data.eventId) : undefined;
    const foldable = (target ? { ...event, target } : event) as FoldEvent;
    t.same(lookups.get('s1'), shipments.get('s1'), `the fold's lookup before ${event.type}`);
    evolveShipments(shipments, foldable);
    lookups.evolve(foldable);
    evolveShipmentHistories(made, foldable);
    t.same(shipmentLedgerOf(made, 's1'), shipments.get('s1'), `after ${event.type}`);
  }
  t.same(lookups.get('s1'), shipments.get('s1'), 'the lookup after the last event');
  // A dispatch undone: no shipment; dispatched again: the new route.
  const redo = [...world(), sent, reversal(sent.id ?? ''), again];
  const redone = emptyShipmentHistories();
  foldAll(record(redo), (event) => evolveShipmentHistories(redone, event));
  t.match(shipmentLedgerOf(redone, 's1'), { to: 'hnp', lines: [{ itemType: 'rounds', dispatched: 50 }] });
});
