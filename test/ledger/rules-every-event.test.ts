/**
 * Every event type that names parties or items checks them, each field on
 * its own: a rule kept for transfers but forgotten for dispatches or
 * pledges is a hole the first tests did not see (found by mutation testing,
 * test/mutation/README.md). Given / when / then, like rules.test.ts.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import {
  deployed,
  departed,
  dispatch,
  donation,
  expended,
  line,
  newId,
  receipt,
  reversal,
  seizure,
  transfer,
  world,
} from '../support/fixtures.js';
import { given } from '../support/given.js';

const pledge = (donor: string, recipient: string, lines: ReturnType<typeof line>[]): IncomingEvent => ({
  id: newId(),
  type: 'DonationPledged',
  occurredAt: '2025-01-10',
  data: { donor, recipient, lines },
});

const withContingent = (event: IncomingEvent, contingent: string) =>
  ({ ...event, data: { ...event.data, contingent } }) as IncomingEvent;

t.test('party-unknown, for each party field of each event type', async (t) => {
  const cases: [string, IncomingEvent, string][] = [
    ['dispatch from', dispatch('s9', 'nobody', 'mss', [line('apc', 1)]), 'data.from'],
    ['dispatch to', dispatch('s9', 'us-inl', 'nobody', [line('apc', 1)]), 'data.to'],
    ['donation from', donation('nobody', 'mss', [line('rifle', 1)]), 'data.donor'],
    ['donation to', donation('us-inl', 'nobody', [line('rifle', 1)]), 'data.recipient'],
    ['pledge from', pledge('nobody', 'mss', [line('rifle', 1)]), 'data.donor'],
    ['pledge to', pledge('us-inl', 'nobody', [line('rifle', 1)]), 'data.recipient'],
    ['transfer from', transfer('nobody', 'hnp', [line('rifle', 1)]), 'data.from'],
    ['seizure from', seizure('nobody', 'hnp', [line('rifle', 1)]), 'data.from'],
    ['seizure by', seizure('gang-5-segonn', 'nobody', [line('rifle', 1)]), 'data.by'],
    ['expenditure', expended('nobody', [line('rifle', 1)]), 'data.holder'],
    ['deployment', withContingent(deployed('kenya', 5), 'nobody'), 'data.contingent'],
    ['departure', withContingent(departed('kenya', 5), 'nobody'), 'data.contingent'],
  ];
  for (const [name, event, field] of cases)
    t.test(name, async (t) => {
      given(world()).when(event).thenRefused(t, 'party-unknown', field);
    });
});

t.test('item-type-unknown, for each event type that carries lines', async (t) => {
  const tank = [line('rifle', 1), line('tank', 1)];
  const cases: [string, IncomingEvent][] = [
    ['dispatch', dispatch('s9', 'us-inl', 'mss', tank)],
    ['donation', donation('us-inl', 'mss', tank)],
    ['pledge', pledge('us-inl', 'mss', tank)],
    ['transfer', transfer('mss', 'hnp', tank)],
    ['seizure', seizure('gang-5-segonn', 'hnp', tank)],
    ['expenditure', expended('mss', tank)],
  ];
  for (const [name, event] of cases)
    t.test(name, async (t) => {
      given([...world(), donation('us-inl', 'mss', [line('rifle', 5)])])
        .when(event)
        .thenRefused(t, 'item-type-unknown', 'data.lines[1].itemType');
    });
});

t.test('a registered contingent may deploy and depart; a pledge moves no stock', async (t) => {
  const contingent = { ...world()[0]!, id: newId(), data: { partyId: 'mss-kenya', kind: 'contingent', name: 'Kenya' } };
  const history = [...world(), contingent as IncomingEvent];
  given(history)
    .when(withContingent(deployed('kenya', 5), 'mss-kenya'))
    .thenAccepted(t);
  given([...history, withContingent(deployed('kenya', 5), 'mss-kenya')])
    .when(withContingent(departed('kenya', 5), 'mss-kenya'))
    .thenAccepted(t);
  given(world())
    .when(pledge('us-inl', 'mss', [line('rifle', 1000)]))
    .thenAccepted(t);
  given([...world(), pledge('us-inl', 'mss', [line('rifle', 1000)])])
    .when(transfer('mss', 'hnp', [line('rifle', 1)]))
    .thenRefused(t, 'holder-stock-insufficient');
});

t.test('a receipt brings in only serials its shipment carried', async (t) => {
  const history = [
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 1, ['AK-9'])]),
    dispatch('s1', 'us-inl', 'mss', [line('rifle', 1, ['AK-1'])]),
  ];
  given(history)
    .when(receipt('s1', [line('rifle', 1, ['AK-1'])]))
    .thenAccepted(t);
  const rejection = given(history)
    .when(receipt('s1', [line('rifle', 1, ['AK-9'])]))
    .thenRefused(t, 'serial-not-held', 'data.lines[0].serials');
  t.match(rejection?.context, { serial: 'AK-9', heldBy: 'mss', movedFrom: 'transit:s1' });
});

t.test('reversal-not-supported for an item type registration too', async (t) => {
  const history = world();
  const rifle = history.find((e) => e.type === 'ItemTypeRegistered')!;
  given(history)
    .when(reversal(rifle.id ?? ''))
    .thenRefused(t, 'reversal-not-supported', 'data.eventId');
});

t.test('a receipt whose goods were handed on cannot be reversed', async (t) => {
  const got = receipt('s1', [line('apc', 2)]);
  const history = [...world(), dispatch('s1', 'us-inl', 'mss', [line('apc', 2)]), got];
  given(history)
    .when(reversal(got.id ?? ''))
    .thenAccepted(t);
  const rejection = given([...history, transfer('mss', 'hnp', [line('apc', 2)])])
    .when(reversal(got.id ?? ''))
    .thenRefused(t, 'holder-stock-insufficient', 'data.eventId');
  t.match(rejection?.context, { holder: 'mss', itemType: 'apc', asked: 2, onHand: 0 });
});

t.test('a reversed dispatch is gone: nothing to receive, and its id may be used again', async (t) => {
  const sent = dispatch('s1', 'us-inl', 'mss', [line('apc', 2)]);
  const history = [...world(), sent, reversal(sent.id ?? '')];
  given(history)
    .when(receipt('s1', [line('apc', 1)]))
    .thenRefused(t, 'shipment-unknown', 'data.shipmentId');
  given(history)
    .when(dispatch('s1', 'us-inl', 'mss', [line('apc', 1)]))
    .thenAccepted(t);
});

t.test('two lines of one item type in a dispatch add up', async (t) => {
  const history = [...world(), dispatch('s1', 'us-inl', 'mss', [line('apc', 2), line('apc', 3)])];
  given(history)
    .when(receipt('s1', [line('apc', 5)]))
    .thenAccepted(t);
  const rejection = given(history)
    .when(receipt('s1', [line('apc', 6)]))
    .thenRefused(t, 'receipt-exceeds-dispatch');
  t.match(rejection?.context, { dispatched: 5, alreadyReceived: 0, asked: 6 });
});
