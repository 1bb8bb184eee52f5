/** The inventory projection: given events, then on hand, in transit and totals. */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { emptyCatalog, evolveCatalog } from '../../projections/catalog.js';
import type { Counters } from '../../events/counters.js';
import { evolveInventory, inventoryView } from '../../projections/inventory.js';
import { close, dispatch, donation, line, receipt, reversal, seizure, transfer, world } from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

function inventoryOf(history: IncomingEvent[]) {
  const recorded = record(history);
  const counters: Counters = new Map();
  const catalog = emptyCatalog();
  foldAll(recorded, (event, shipments) => {
    evolveCatalog(catalog, event);
    evolveInventory(counters, event, shipments);
  });
  return inventoryView(counters, catalog);
}

const holding = (view: ReturnType<typeof inventoryOf>, holder: string, itemType: string) =>
  view.holders.find((h) => h.holder === holder)?.items.find((i) => i.itemType === itemType);

t.test('a donation lands with the recipient; donors are not holders', async (t) => {
  const view = inventoryOf([...world(), donation('us-inl', 'mss', [line('rifle', 600)])]);
  t.match(holding(view, 'mss', 'rifle'), { quantity: 600, exact: true, category: 'firearm' });
  t.notOk(
    view.holders.some((h) => h.holder === 'us-inl'),
    'the donor is not listed as a holder',
  );
  t.match(view.totals, [{ category: 'firearm', onHand: 600, inTransit: 0, exact: true }]);
});

t.test('an "at least" figure makes the holding and the total inexact', async (t) => {
  const atLeast: IncomingEvent = {
    ...donation('us-inl', 'mss', []),
    data: {
      donor: 'us-inl',
      recipient: 'mss',
      lines: [{ itemType: 'rifle', quantity: { value: 600, precision: 'at-least' } }],
    },
  } as IncomingEvent;
  const view = inventoryOf([...world(), atLeast, donation('us-inl', 'hnp', [line('rifle', 5)])]);
  t.match(holding(view, 'mss', 'rifle'), { quantity: 600, exact: false });
  t.match(holding(view, 'hnp', 'rifle'), { quantity: 5, exact: true });
  t.match(view.totals, [{ category: 'firearm', onHand: 605, exact: false }]);
});

t.test('transfers, seizures and shipments move stock between accounts', async (t) => {
  const view = inventoryOf([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 100)]),
    transfer('mss', 'hnp', [line('rifle', 40)]),
    seizure('gang-5-segonn', 'hnp', [line('rifle', 15)]),
    dispatch('s1', 'us-inl', 'mss', [line('apc', 4)]),
    receipt('s1', [line('apc', 3)]),
  ]);
  t.match(holding(view, 'mss', 'rifle'), { quantity: 60 });
  t.match(holding(view, 'hnp', 'rifle'), { quantity: 55 });
  t.match(holding(view, 'mss', 'apc'), { quantity: 3 });
  t.same(view.inTransit, [
    {
      shipmentId: 's1',
      items: [
        {
          itemType: 'apc',
          name: 'apc',
          category: 'armored-vehicle',
          unit: 'each',
          quantity: 1,
          exact: true,
          precision: 'exact',
          lower: 1,
          upper: 1,
        },
      ],
    },
  ]);
  t.match(
    view.totals.find((x) => x.category === 'armored-vehicle'),
    { onHand: 3, inTransit: 1 },
  );
});

t.test('closing a short shipment writes the shortfall off: nothing stays in transit', async (t) => {
  const view = inventoryOf([
    ...world(),
    dispatch('s1', 'us-inl', 'mss', [line('apc', 4)]),
    receipt('s1', [line('apc', 3)]),
    close('s1'),
  ]);
  t.same(view.inTransit, []);
  t.match(holding(view, 'mss', 'apc'), { quantity: 3 });
});

t.test('a reversal takes the event back out, exactness included', async (t) => {
  const gift = donation('us-inl', 'mss', [line('rifle', 100)]);
  const view = inventoryOf([...world(), gift, donation('us-inl', 'mss', [line('rifle', 5)]), reversal(gift.id ?? '')]);
  t.match(holding(view, 'mss', 'rifle'), { quantity: 5, exact: true });
  const sent = dispatch('s1', 'us-inl', 'mss', [line('apc', 2)]);
  const closing = close('s1');
  const reopened = inventoryOf([
    ...world(),
    sent,
    receipt('s1', [line('apc', 1)]),
    closing,
    reversal(closing.id ?? ''),
  ]);
  t.match(
    reopened.inTransit,
    [{ shipmentId: 's1', items: [{ quantity: 1 }] }],
    'reopening puts the shortfall back in transit',
  );
});

t.test('reversing an "at least" donation takes its inexactness back out: the rest is exact again', async (t) => {
  const atLeast = {
    ...donation('us-inl', 'mss', []),
    data: {
      donor: 'us-inl',
      recipient: 'mss',
      lines: [{ itemType: 'rifle', quantity: { value: 600, precision: 'at-least' } }],
    },
  } as IncomingEvent;
  const history = [...world(), atLeast, donation('us-inl', 'mss', [line('rifle', 5)])];
  t.match(holding(inventoryOf(history), 'mss', 'rifle'), { quantity: 605, exact: false }, 'inexact while it counts');
  const view = inventoryOf([...history, reversal(atLeast.id ?? '')]);
  t.match(holding(view, 'mss', 'rifle'), { quantity: 5, exact: true });
  t.match(view.totals, [{ category: 'firearm', onHand: 5, exact: true }]);
});
