/** The shipments projection: given a shipment's events, then its status, lines and write-offs, for any date. */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { emptyShipmentHistories, evolveShipmentHistories, shipmentAt } from '../../projections/shipments.js';
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
