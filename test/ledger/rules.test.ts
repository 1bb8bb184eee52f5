/**
 * One test per rule and rejection, in given / when / then form. The rule
 * names are the ones in src/ledger/rules.ts, the problem types and the README.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { given } from '../support/given.js';
import {
  close,
  deployed,
  departed,
  dispatch,
  donation,
  expended,
  itemType,
  line,
  party,
  receipt,
  reversal,
  seizure,
  transfer,
  world,
} from '../support/fixtures.js';

t.test('conservation: holder-stock-insufficient', async (t) => {
  const gift = donation('us-inl', 'mss', [line('rifle', 600)]);
  t.test('a holder may give all it has', async (t) => {
    given([...world(), gift])
      .when(transfer('mss', 'hnp', [line('rifle', 600)]))
      .thenAccepted(t);
  });
  t.test('a holder cannot give more than it has, and the refusal says how much', async (t) => {
    const rejection = given([...world(), gift])
      .when(transfer('mss', 'hnp', [line('rifle', 601)]))
      .thenRefused(t, 'holder-stock-insufficient', 'data.lines[0].quantity.value');
    t.match(rejection?.context, { holder: 'mss', itemType: 'rifle', asked: 601, onHand: 600 });
  });
  t.test('two lines of the same item count together', async (t) => {
    given([...world(), gift])
      .when(transfer('mss', 'hnp', [line('rifle', 400), line('rifle', 201)]))
      .thenRefused(t, 'holder-stock-insufficient', 'data.lines[1].quantity.value');
  });
  t.test('expending more than on hand is refused', async (t) => {
    given([...world(), gift])
      .when(expended('mss', [line('rifle', 700)]))
      .thenRefused(t, 'holder-stock-insufficient');
  });
  t.test('a holder cannot dispatch what it does not have', async (t) => {
    given(world())
      .when(dispatch('s1', 'mss', 'hnp', [line('apc', 1)]))
      .thenRefused(t, 'holder-stock-insufficient');
  });
  t.test('donors and armed groups stand outside the books and may go negative', async (t) => {
    given(world())
      .when(donation('us-inl', 'mss', [line('rifle', 5)]))
      .thenAccepted(t);
    given(world())
      .when(seizure('gang-5-segonn', 'hnp', [line('rifle', 15)]))
      .thenAccepted(t);
  });
});

t.test('catalogue rules', async (t) => {
  t.test('party-unknown names the field', async (t) => {
    given(world())
      .when(transfer('mss', 'nobody', [line('rifle', 1)]))
      .thenRefused(t, 'party-unknown', 'data.to');
  });
  t.test('item-type-unknown names the line', async (t) => {
    given(world())
      .when(donation('us-inl', 'mss', [line('rifle', 1), line('tank', 1)]))
      .thenRefused(t, 'item-type-unknown', 'data.lines[1].itemType');
  });
  t.test('party-already-registered', async (t) => {
    given(world()).when(party('mss', 'mission')).thenRefused(t, 'party-already-registered', 'data.partyId');
  });
  t.test('item-type-already-registered', async (t) => {
    given(world()).when(itemType('rifle', 'firearm')).thenRefused(t, 'item-type-already-registered', 'data.itemType');
  });
  t.test('a new item type needs no release: register it, then use it', async (t) => {
    given([...world(), itemType('drone', 'equipment')])
      .when(donation('us-inl', 'mss', [line('drone', 2)]))
      .thenAccepted(t);
  });
});

t.test('occurred-at-in-future', async (t) => {
  given(world())
    .when(donation('us-inl', 'mss', [line('rifle', 1)], '2030-01-01'))
    .thenRefused(t, 'occurred-at-in-future', 'occurredAt');
  given(world())
    .when(donation('us-inl', 'mss', [line('rifle', 1)], '2026-11-25T12:04:00Z'))
    .thenAccepted(t);
});

t.test('dates: a range that starts in time and ends after it starts', async (t) => {
  // NOW in the given/when/then support is 2026-11-25T12:00:00Z.
  const between = (occurredAt: string, occurredFrom: string): IncomingEvent => ({
    ...donation('us-inl', 'mss', [line('rifle', 1)], occurredAt),
    occurredPrecision: 'range',
    occurredFrom,
  });
  t.test('a range inside the past is accepted, and may start and end the same day', async (t) => {
    given(world()).when(between('2025-05-23', '2025-05-01')).thenAccepted(t);
    given(world()).when(between('2025-05-23', '2025-05-23')).thenAccepted(t);
  });
  t.test('occurred-from-after-occurred-at: the earliest date is after the certain one', async (t) => {
    const rejection = given(world())
      .when(between('2025-05-23', '2025-05-24'))
      .thenRefused(t, 'occurred-from-after-occurred-at', 'occurredFrom');
    t.match(rejection?.context, { occurredFrom: '2025-05-24T00:00:00.000Z', occurredAt: '2025-05-23T00:00:00.000Z' });
  });
  t.test('occurred-from-in-future, with the same clock skew as occurredAt', async (t) => {
    given(world()).when(between('2025-05-23', '9999-12-31')).thenRefused(t, 'occurred-from-in-future', 'occurredFrom');
    given(world()).when(between('2026-11-25T12:04:00Z', '2026-11-25T12:03:00Z')).thenAccepted(t);
    given(world())
      .when(between('2026-11-25T12:04:00Z', '2026-11-25T12:06:00Z'))
      .thenRefused(t, 'occurred-from-in-future', 'occurredFrom');
  });
  t.test('occurred-before-earliest-date: nothing happened before 1900', async (t) => {
    const rejection = given(world())
      .when(donation('us-inl', 'mss', [line('rifle', 1)], '0000-01-01'))
      .thenRefused(t, 'occurred-before-earliest-date', 'occurredAt');
    t.match(rejection?.context, { earliest: '1900-01-01T00:00:00.000Z' });
    given(world())
      .when(donation('us-inl', 'mss', [line('rifle', 1)], '1899-12-31T23:59:59Z'))
      .thenRefused(t, 'occurred-before-earliest-date', 'occurredAt');
    given(world())
      .when(donation('us-inl', 'mss', [line('rifle', 1)], '1900-01-01'))
      .thenAccepted(t);
    given(world())
      .when(between('2025-05-23', '1066-10-14'))
      .thenRefused(t, 'occurred-before-earliest-date', 'occurredFrom');
  });
});

t.test('shipments', async (t) => {
  const shipped = [...world(), dispatch('s1', 'us-inl', 'mss', [line('apc', 4), line('rounds', 1000)])];
  t.test('a partial receipt is accepted', async (t) => {
    given(shipped)
      .when(receipt('s1', [line('apc', 3)]))
      .thenAccepted(t);
  });
  t.test('receipt-exceeds-dispatch, counting earlier receipts', async (t) => {
    const rejection = given([...shipped, receipt('s1', [line('apc', 3)])])
      .when(receipt('s1', [line('apc', 2)]))
      .thenRefused(t, 'receipt-exceeds-dispatch', 'data.lines[0].quantity.value');
    t.match(rejection?.context, { dispatched: 4, alreadyReceived: 3, asked: 2 });
  });
  t.test('receipt-item-not-dispatched', async (t) => {
    given(shipped)
      .when(receipt('s1', [line('rifle', 1)]))
      .thenRefused(t, 'receipt-item-not-dispatched');
  });
  t.test('shipment-unknown', async (t) => {
    given(world())
      .when(receipt('nope', [line('apc', 1)]))
      .thenRefused(t, 'shipment-unknown', 'data.shipmentId');
  });
  t.test('shipment-already-exists', async (t) => {
    given(shipped)
      .when(dispatch('s1', 'us-inl', 'mss', [line('apc', 1)]))
      .thenRefused(t, 'shipment-already-exists');
  });
  t.test('shipment-closed: nothing is received on a closed shipment', async (t) => {
    given([...shipped, close('s1')])
      .when(receipt('s1', [line('apc', 1)]))
      .thenRefused(t, 'shipment-closed');
  });
  t.test('shipment-closed: a shipment closes once', async (t) => {
    given([...shipped, close('s1')])
      .when(close('s1'))
      .thenRefused(t, 'shipment-closed');
  });
  t.test('received goods belong to the recipient and can be handed on', async (t) => {
    given([...shipped, receipt('s1', [line('apc', 3)])])
      .when(transfer('mss', 'hnp', [line('apc', 3)]))
      .thenAccepted(t);
    given([...shipped, receipt('s1', [line('apc', 3)])])
      .when(transfer('mss', 'hnp', [line('apc', 4)]))
      .thenRefused(t, 'holder-stock-insufficient');
  });
});

t.test('personnel: contingent-headcount-insufficient', async (t) => {
  const arrived = [...world(), deployed('kenya', 200)];
  given(arrived).when(departed('kenya', 200)).thenAccepted(t);
  const rejection = given(arrived).when(departed('kenya', 201)).thenRefused(t, 'contingent-headcount-insufficient');
  t.match(rejection?.context, { country: 'kenya', deployed: 200, departing: 201 });
  given(arrived).when(departed('jamaica', 1)).thenRefused(t, 'contingent-headcount-insufficient');
});

t.test('serial numbers', async (t) => {
  const gift = donation('us-inl', 'mss', [line('rifle', 2, ['AK-001', 'AK-002'])]);
  t.test('the holder can move its serial-numbered item', async (t) => {
    given([...world(), gift])
      .when(transfer('mss', 'hnp', [line('rifle', 1, ['AK-001'])]))
      .thenAccepted(t);
  });
  t.test('serial-not-held: another holder cannot move it', async (t) => {
    const moved = transfer('mss', 'hnp', [line('rifle', 1, ['AK-001'])]);
    const back = donation('us-inl', 'mss', [line('rifle', 1)]);
    given([...world(), gift, moved, back])
      .when(transfer('mss', 'hnp', [line('rifle', 1, ['AK-001'])]))
      .thenRefused(t, 'serial-not-held', 'data.lines[0].serials');
  });
  t.test('serial-already-held: a donor cannot give a serial the mission already holds', async (t) => {
    given([...world(), gift])
      .when(donation('us-inl', 'hnp', [line('rifle', 1, ['AK-002'])]))
      .thenRefused(t, 'serial-already-held');
  });
});

t.test('reversals', async (t) => {
  const gift = donation('us-inl', 'mss', [line('rifle', 600)]);
  const id = gift.id ?? '';
  t.test('a mistaken donation is reversed', async (t) => {
    given([...world(), gift])
      .when(reversal(id))
      .thenAccepted(t);
  });
  t.test('reversal-already-reversed: an event is reversed once', async (t) => {
    given([...world(), gift, reversal(id)])
      .when(reversal(id))
      .thenRefused(t, 'reversal-already-reversed', 'data.eventId');
  });
  t.test('reversal-target-unknown', async (t) => {
    given(world()).when(reversal('11111111-1111-4111-8111-111111111111')).thenRefused(t, 'reversal-target-unknown');
  });
  t.test('reversal-of-reversal', async (t) => {
    const first = reversal(id);
    given([...world(), gift, first])
      .when(reversal(first.id ?? ''))
      .thenRefused(t, 'reversal-of-reversal');
  });
  t.test('reversal-not-supported for registrations', async (t) => {
    const history = world();
    given(history)
      .when(reversal(history[0]?.id ?? ''))
      .thenRefused(t, 'reversal-not-supported');
  });
  t.test('a reversal cannot leave a holder negative', async (t) => {
    const rejection = given([...world(), gift, transfer('mss', 'hnp', [line('rifle', 500)])])
      .when(reversal(id))
      .thenRefused(t, 'holder-stock-insufficient', 'data.eventId');
    t.match(rejection?.context, { holder: 'mss', asked: 600, onHand: 100 });
  });
  t.test('a reversal cannot leave a contingent negative', async (t) => {
    const arrival = deployed('kenya', 200);
    given([...world(), arrival, departed('kenya', 150)])
      .when(reversal(arrival.id ?? ''))
      .thenRefused(t, 'contingent-headcount-insufficient');
  });
  t.test('shipment-has-receipts: a dispatch is reversed only after its receipts', async (t) => {
    const sent = dispatch('s1', 'us-inl', 'mss', [line('apc', 2)]);
    const got = receipt('s1', [line('apc', 2)]);
    given([...world(), sent, got])
      .when(reversal(sent.id ?? ''))
      .thenRefused(t, 'shipment-has-receipts');
    given([...world(), sent, got, reversal(got.id ?? '')])
      .when(reversal(sent.id ?? ''))
      .thenAccepted(t);
  });
  t.test('a closed shipment is reopened by reversing its closing, then receives again', async (t) => {
    const sent = dispatch('s1', 'us-inl', 'mss', [line('apc', 2)]);
    const closing = close('s1');
    const history = [...world(), sent, receipt('s1', [line('apc', 1)]), closing];
    given(history)
      .when(receipt('s1', [line('apc', 1)]))
      .thenRefused(t, 'shipment-closed');
    given([...history, reversal(closing.id ?? '')])
      .when(receipt('s1', [line('apc', 1)]))
      .thenAccepted(t);
    given([...history, reversal(closing.id ?? '')])
      .when(receipt('s1', [line('apc', 2)]))
      .thenRefused(t, 'receipt-exceeds-dispatch');
  });
  t.test('after a reversal the stock is gone', async (t) => {
    given([...world(), gift, reversal(id)])
      .when(transfer('mss', 'hnp', [line('rifle', 1)]))
      .thenRefused(t, 'holder-stock-insufficient');
  });
});
