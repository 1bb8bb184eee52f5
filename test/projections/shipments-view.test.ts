/**
 * The shipment view as a reader gets it: given a shipment's events, then every field of the view
 * (route, dates, lead time, each line's figures and bounds, the events), and where asOf and knownAt
 * cut it. Statuses are compared with t.equal: t.match takes a string pattern as a substring, and
 * 'received' is in 'partially-received'.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import type { FoldEvent, ShipmentLedger } from '../../events/postings.js';
import {
  emptyShipmentHistories,
  evolveShipmentHistories,
  shipmentAt,
  ShipmentLookups,
} from '../../projections/shipments.js';
import { evolveShipments } from '../../src/ledger/shipments.js';
import { close, dispatch, line, receipt, reversal, world } from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

const NOW = Number.MAX_SAFE_INTEGER;
const at = (iso: string) => Date.parse(iso);
const WORLD = world().length;

const historiesOf = (history: IncomingEvent[]) => {
  const histories = emptyShipmentHistories();
  foldAll(record(history), (event) => evolveShipmentHistories(histories, event));
  return histories;
};
const view = (history: IncomingEvent[], asOf = NOW, knownAt = NOW) =>
  shipmentAt(historiesOf(history), 's1', asOf, knownAt);

const approximately = (itemType: string, value: number, upTo?: number) => ({
  itemType,
  quantity: { value, precision: 'approximate' as const, ...(upTo === undefined ? {} : { upTo }) },
});
const atLeast = (itemType: string, value: number) => ({
  itemType,
  quantity: { value, precision: 'at-least' as const },
});
const withRoute = (event: IncomingEvent, route: Record<string, string>): IncomingEvent =>
  ({ ...event, data: { ...event.data, ...route } }) as IncomingEvent;

t.test('every field of a closed short shipment: route, dates, lead time, lines with bounds, events', async (t) => {
  const sent = withRoute(
    dispatch(
      's1',
      'us-inl',
      'mss',
      [approximately('rifle', 10, 12), atLeast('apc', 2), line('rounds', 100), line('rounds', 20)] as never,
      '2025-02-01T00:00:00Z',
    ),
    { carrier: 'sea-freight', destination: 'port-au-prince' },
  );
  const history = [
    ...world(),
    sent,
    receipt('s1', [approximately('rifle', 5)] as never, '2025-02-02T08:24:00Z'),
    receipt('s1', [line('rounds', 30)], '2025-02-01T12:00:00Z'),
    close('s1', '2025-02-03T00:00:00Z'),
  ];
  t.strictSame(view(history), {
    shipmentId: 's1',
    from: 'us-inl',
    to: 'mss',
    status: 'closed',
    carrier: 'sea-freight',
    origin: undefined,
    destination: 'port-au-prince',
    dispatchedAt: '2025-02-01T00:00:00.000Z',
    lastReceivedAt: '2025-02-02T08:24:00.000Z',
    closedAt: '2025-02-03T00:00:00.000Z',
    leadTimeDays: 1.4, // 1.35 days, to a tenth
    writeOffReason: 'lost',
    lines: [
      {
        itemType: 'apc',
        dispatched: 2,
        received: 0,
        short: 2,
        writtenOff: 2,
        exact: false,
        dispatchedBounds: { precision: 'at-least', lower: 2, upper: null },
        receivedBounds: { precision: 'exact', lower: 0, upper: 0 },
      },
      {
        itemType: 'rifle',
        dispatched: 10,
        received: 5,
        short: 5,
        writtenOff: 5,
        exact: false,
        dispatchedBounds: { precision: 'approximate', lower: 10, upper: 12 },
        receivedBounds: { precision: 'approximate', lower: 5, upper: null },
      },
      {
        itemType: 'rounds',
        dispatched: 120,
        received: 30,
        short: 90,
        writtenOff: 90,
        exact: true,
        dispatchedBounds: { precision: 'exact', lower: 120, upper: 120 },
        receivedBounds: { precision: 'exact', lower: 30, upper: 30 },
      },
    ],
    events: [
      { type: 'ShipmentDispatched', occurredAt: '2025-02-01T00:00:00.000Z', position: WORLD + 1 },
      { type: 'ShipmentReceived', occurredAt: '2025-02-01T12:00:00.000Z', position: WORLD + 3 },
      { type: 'ShipmentReceived', occurredAt: '2025-02-02T08:24:00.000Z', position: WORLD + 2 },
      { type: 'ShipmentClosed', occurredAt: '2025-02-03T00:00:00.000Z', position: WORLD + 4 },
    ],
  });
});

t.test('a route with an origin and no carrier; a receipt of everything: received, nothing short', async (t) => {
  const sent = withRoute(dispatch('s1', 'us-inl', 'mss', [line('apc', 2)], '2025-02-01T00:00:00Z'), {
    origin: 'miami',
  });
  const shown = view([...world(), sent, receipt('s1', [line('apc', 2)], '2025-02-01T00:00:00Z')]);
  t.equal(shown?.status, 'received');
  t.strictSame([shown?.carrier, shown?.origin, shown?.destination], [undefined, 'miami', undefined]);
  t.match(shown, {
    leadTimeDays: 0,
    lines: [{ received: 2, short: 0, writtenOff: 0, exact: true }],
    closedAt: null,
    writeOffReason: null,
  });
});

t.test('an exact dispatch received as "at least": the line is no longer exact', async (t) => {
  const history = [
    ...world(),
    dispatch('s1', 'us-inl', 'mss', [line('rounds', 100)]),
    receipt('s1', [atLeast('rounds', 40)] as never),
  ];
  t.match(view(history)?.lines, [
    {
      exact: false,
      dispatchedBounds: { precision: 'exact', lower: 100, upper: 100 },
      receivedBounds: { precision: 'at-least', lower: 40, upper: null },
    },
  ]);
});

t.test('status: received only once every line is, partially received once anything is', async (t) => {
  const sent = dispatch('s1', 'us-inl', 'mss', [line('apc', 2), line('rounds', 10)], '2025-02-01');
  const history = [...world(), sent, receipt('s1', [line('apc', 2)], '2025-02-02')];
  t.equal(view([...world(), sent])?.status, 'dispatched');
  t.equal(view(history)?.status, 'partially-received', 'one line of two complete');
  t.equal(view([...history, receipt('s1', [line('rounds', 10)], '2025-02-03')])?.status, 'received');
});

t.test('asOf and knownAt are inclusive: an event at either bound is in the view', async (t) => {
  const got = receipt('s1', [line('apc', 1)], '2025-02-05T10:00:00Z');
  const history = [
    ...world(),
    dispatch('s1', 'us-inl', 'mss', [line('apc', 4)], '2025-02-01T00:00:00Z'),
    got,
    reversal(got.id ?? ''),
  ];
  const receiptAt = at('2025-02-05T10:00:00Z');
  const receiptPosition = WORLD + 2;
  const status = (asOf: number, knownAt: number) => view(history, asOf, knownAt)?.status;
  t.equal(status(receiptAt, receiptPosition), 'partially-received', 'the receipt at both bounds');
  t.equal(status(receiptAt - 1, receiptPosition), 'dispatched', 'as of just before it occurred');
  t.equal(status(receiptAt, receiptPosition - 1), 'dispatched', 'as known just before it was recorded');
  t.equal(status(receiptAt, receiptPosition + 1), 'dispatched', 'its reversal known at the reversal position');
  const dispatchedAt = at('2025-02-01T00:00:00Z');
  t.equal(status(dispatchedAt, WORLD + 1), 'dispatched', 'the dispatch at both bounds');
  t.equal(view(history, dispatchedAt, WORLD), undefined, 'the dispatch not yet recorded');
});

t.test('a receipt dated before its dispatch: as of a date between them, the shipment was not dispatched', async (t) => {
  const history = [
    ...world(),
    dispatch('s1', 'us-inl', 'mss', [line('apc', 4)], '2025-02-10'),
    receipt('s1', [line('apc', 1)], '2025-02-05'),
  ];
  t.equal(view(history, at('2025-02-07T00:00:00Z')), undefined);
  t.match(view(history), { dispatchedAt: '2025-02-10T00:00:00.000Z', lastReceivedAt: '2025-02-05T00:00:00.000Z' });
});

t.test('events at the same instant are listed in recording order', async (t) => {
  const history = [
    ...world(),
    dispatch('s1', 'us-inl', 'mss', [line('apc', 4)], '2025-02-01T00:00:00Z'),
    receipt('s1', [line('apc', 1)], '2025-02-05T00:00:00Z'),
    receipt('s1', [line('apc', 2)], '2025-02-05T00:00:00Z'),
    receipt('s1', [line('apc', 1)], '2025-02-04T00:00:00Z'),
  ];
  const shown = view(history);
  t.same(
    shown?.events.map((e) => e.position),
    [WORLD + 1, WORLD + 4, WORLD + 2, WORLD + 3],
  );
  t.equal(shown?.lastReceivedAt, '2025-02-05T00:00:00.000Z', 'the last receipt by occurrence');
  t.equal(shown?.status, 'received');
});

t.test('a dispatch reversed and made again: the view has the new route; an unknown shipment none', async (t) => {
  const sent = dispatch('s1', 'us-inl', 'mss', [line('apc', 4)]);
  const history = [...world(), sent, reversal(sent.id ?? '')];
  t.equal(view(history), undefined, 'the dispatch reversed');
  t.match(view([...history, dispatch('s1', 'us-inl', 'hnp', [line('apc', 3)])]), {
    to: 'hnp',
    lines: [{ dispatched: 3 }],
  });
  t.equal(shipmentAt(historiesOf([...world(), sent]), 's2', NOW, NOW), undefined);
});

t.test("the fold's lookup of an open shipment follows a reversal of one of its receipts", async (t) => {
  const got = receipt('s1', [line('apc', 3)]);
  const recorded = record([...world(), dispatch('s1', 'us-inl', 'mss', [line('apc', 4)]), got, reversal(got.id ?? '')]);
  const byId = new Map(recorded.map((e) => [e.id, e]));
  const histories = emptyShipmentHistories();
  const lookups = new ShipmentLookups(histories);
  const book = new Map<string, ShipmentLedger>();
  for (const event of recorded) {
    const target = event.type === 'EntryReversed' ? byId.get(event.data.eventId) : undefined;
    const foldable = (target ? { ...event, target } : event) as FoldEvent;
    t.same(lookups.get('s1'), book.get('s1'), `before ${event.type}`);
    evolveShipments(book, foldable);
    lookups.evolve(foldable);
    evolveShipmentHistories(histories, foldable);
  }
  t.match(lookups.get('s1'), { lines: [{ itemType: 'apc', dispatched: 4, received: 0 }], activeReceipts: 0 });
});
