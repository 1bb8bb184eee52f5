/** Chain of custody: given movements of serial-numbered items, then each item's holders over time. */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { custodyAt, emptyCustody, evolveCustody } from '../../projections/custody.js';
import { dispatch, donation, line, receipt, reversal, seizure, transfer, world } from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

const NOW = Number.MAX_SAFE_INTEGER;
const custodyOf = (history: IncomingEvent[]) => {
  const custody = emptyCustody();
  foldAll(record(history), (event, shipments) => evolveCustody(custody, event, shipments));
  return custody;
};

t.test('a rifle from donor to mission to police', async (t) => {
  const custody = custodyOf([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 2, ['AK-001', 'AK-002'])], '2025-02-10'),
    transfer('mss', 'hnp', [line('rifle', 1, ['AK-001'])], '2025-03-01'),
  ]);
  const view = custodyAt(custody, 'AK-001', NOW, NOW);
  t.equal(view?.holder, 'hnp');
  t.match(view?.chain, [
    {
      holder: 'mss',
      receivedFrom: 'us-inl',
      from: '2025-02-10T00:00:00.000Z',
      until: '2025-03-01T00:00:00.000Z',
      position: 8,
    },
    {
      holder: 'hnp',
      receivedFrom: 'mss',
      from: '2025-03-01T00:00:00.000Z',
      until: null,
      position: 9,
    },
  ]);
  const earlier = custodyAt(custody, 'AK-001', Date.parse('2025-02-20T00:00:00Z'), NOW);
  t.equal(earlier?.holder, 'mss', 'as of 20 February the mission held it');
  t.equal(custodyAt(custody, 'AK-002', NOW, NOW)?.holder, 'mss');
  t.equal(custodyAt(custody, 'AK-999', NOW, NOW), undefined, 'an unknown serial has no chain');
});

t.test('through a shipment: in transit, then with the recipient', async (t) => {
  const custody = custodyOf([
    ...world(),
    dispatch('s1', 'us-inl', 'mss', [line('apc', 1, ['APC-7'])]),
    receipt('s1', [line('apc', 1, ['APC-7'])]),
  ]);
  const view = custodyAt(custody, 'APC-7', NOW, NOW);
  t.same(
    view?.chain.map((c) => c.holder),
    ['transit:s1', 'mss'],
  );
});

t.test('a seized weapon with an assigned serial', async (t) => {
  const seized = seizure('gang-5-segonn', 'hnp', [line('rifle', 1)]);
  const withAssigned = {
    ...seized,
    data: {
      ...seized.data,
      lines: [{ itemType: 'rifle', quantity: { value: 1 }, serials: [{ serial: 'MSS-A-0001', assigned: true }] }],
    },
  } as IncomingEvent;
  const view = custodyAt(custodyOf([...world(), withAssigned]), 'MSS-A-0001', NOW, NOW);
  t.match(view, { assigned: true, holder: 'hnp', chain: [{ receivedFrom: 'gang-5-segonn' }] });
});

t.test('a reversed transfer leaves the item where it was', async (t) => {
  const move = transfer('mss', 'hnp', [line('rifle', 1, ['AK-001'])]);
  const history = [
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 1, ['AK-001'])]),
    move,
    reversal(move.id ?? ''),
  ];
  const recorded = record(history);
  const custody = custodyOf(history);
  t.equal(custodyAt(custody, 'AK-001', NOW, NOW)?.holder, 'mss');
  t.equal(
    custodyAt(custody, 'AK-001', NOW, recorded[recorded.length - 1]!.globalPosition - 1)?.holder,
    'hnp',
    'as known before the reversal',
  );
});
