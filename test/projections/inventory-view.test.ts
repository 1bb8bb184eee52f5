/**
 * The inventory view as a logistics officer reads it, whole: given donations, transfers, a seizure,
 * shipments on the way, an "at least" figure and an expenditure, then every holder's items, what is
 * in transit per shipment, and the totals per category with their bounds, each list in order.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import type { Counters } from '../../events/counters.js';
import { emptyCatalog, evolveCatalog } from '../../projections/catalog.js';
import { evolveInventory, inventoryDeltas, inventoryView } from '../../projections/inventory.js';
import {
  close,
  dispatch,
  donation,
  expended,
  line,
  receipt,
  reversal,
  seizure,
  transfer,
  world,
} from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

function countersOf(history: IncomingEvent[]) {
  const counters: Counters = new Map();
  const catalog = emptyCatalog();
  foldAll(record(history), (event, shipments) => {
    evolveCatalog(catalog, event);
    evolveInventory(counters, event, shipments);
  });
  return { counters, catalog };
}

const exactly = (quantity: number) => ({ precision: 'exact', lower: quantity, upper: quantity });
const amount = (itemType: string, category: string, quantity: number, unit = 'each', name = itemType) => ({
  itemType,
  name,
  category,
  unit,
  quantity,
  exact: true,
  ...exactly(quantity),
});

const history = (): IncomingEvent[] => {
  const atLeast = donation('us-inl', 'hnp', [line('rounds', 500)]);
  (atLeast.data as { lines: { quantity: { precision: string } }[] }).lines[0]!.quantity.precision = 'at-least';
  return [
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 100), line('apc', 4), line('drone', 2)]),
    transfer('mss', 'hnp', [line('rifle', 30)]),
    seizure('gang-5-segonn', 'hnp', [line('rifle', 5)]),
    dispatch('s1', 'mss', 'hnp', [line('apc', 2)]),
    dispatch('s2', 'us-inl', 'mss', [line('rounds', 1000)]),
    receipt('s2', [line('rounds', 600)]),
    atLeast,
    expended('mss', [line('rounds', 100)]),
  ];
};

t.test('holders inside the books, shipments on the way and totals per category', async (t) => {
  const { counters, catalog } = countersOf(history());
  const view = inventoryView(counters, catalog);
  t.same(view.holders, [
    {
      holder: 'hnp',
      name: 'Haitian National Police',
      kind: 'police',
      items: [
        amount('rifle', 'firearm', 35),
        {
          ...amount('rounds', 'ammunition', 500, 'rounds'),
          exact: false,
          precision: 'at-least',
          lower: 500,
          upper: null,
        },
      ],
    },
    {
      holder: 'mss',
      name: 'MSS',
      kind: 'mission',
      items: [
        amount('apc', 'armored-vehicle', 2),
        amount('drone', 'unknown', 2),
        amount('rifle', 'firearm', 70),
        amount('rounds', 'ammunition', 500, 'rounds'),
      ],
    },
  ]);
  t.same(view.inTransit, [
    { shipmentId: 's1', items: [amount('apc', 'armored-vehicle', 2)] },
    { shipmentId: 's2', items: [amount('rounds', 'ammunition', 400, 'rounds')] },
  ]);
  t.same(view.totals, [
    {
      category: 'ammunition',
      onHand: 1000,
      inTransit: 400,
      exact: false,
      onHandBounds: { precision: 'at-least', lower: 1000, upper: null },
      inTransitBounds: exactly(400),
    },
    {
      category: 'armored-vehicle',
      onHand: 2,
      inTransit: 2,
      exact: true,
      onHandBounds: exactly(2),
      inTransitBounds: exactly(2),
    },
    {
      category: 'firearm',
      onHand: 105,
      inTransit: 0,
      exact: true,
      onHandBounds: exactly(105),
      inTransitBounds: exactly(0),
    },
    {
      category: 'unknown',
      onHand: 2,
      inTransit: 0,
      exact: true,
      onHandBounds: exactly(2),
      inTransitBounds: exactly(0),
    },
  ]);
});

t.test('one holder: only its items, and only its stock on hand in the totals', async (t) => {
  const { counters, catalog } = countersOf(history());
  const view = inventoryView(counters, catalog, { holder: 'hnp' });
  t.same(
    view.holders.map((h) => h.holder),
    ['hnp'],
  );
  t.same(
    view.totals.map((x) => [x.category, x.onHand]),
    [
      ['ammunition', 500],
      ['armored-vehicle', 0],
      ['firearm', 35],
    ],
  );
  t.same(inventoryView(counters, catalog, { holder: 'nobody' }).holders, []);
});

t.test('a holder that gave everything away is not listed; an unregistered holder is not either', async (t) => {
  const { counters, catalog } = countersOf([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 10)]),
    transfer('mss', 'hnp', [line('rifle', 10)]),
    donation('us-inl', 'somebody', [line('rifle', 3)]),
  ]);
  const view = inventoryView(counters, catalog);
  t.same(
    view.holders.map((h) => [h.holder, h.items.map((i) => i.quantity)]),
    [['hnp', [10]]],
  );
  t.same(
    view.totals.map((x) => [x.category, x.onHand]),
    [['firearm', 10]],
  );
});

t.test('a reversed closing puts what it wrote off back in transit, as exact as it was', async (t) => {
  const closing = close('s1');
  const { counters, catalog } = countersOf([
    ...world(),
    donation('us-inl', 'mss', [line('apc', 4)]),
    dispatch('s1', 'mss', 'hnp', [line('apc', 4)]),
    receipt('s1', [line('apc', 3)]),
    closing,
    reversal(closing.id!),
  ]);
  const view = inventoryView(counters, catalog);
  t.same(view.inTransit, [{ shipmentId: 's1', items: [amount('apc', 'armored-vehicle', 1)] }]);
  t.match(view.totals, [{ category: 'armored-vehicle', onHand: 3, inTransit: 1, exact: true }]);
});

t.test('a shipment received in full is no longer on the way, even when its dispatch was "at least"', async (t) => {
  const atLeast = dispatch('s1', 'mss', 'hnp', [line('apc', 2)]);
  (atLeast.data as { lines: { quantity: { precision: string } }[] }).lines[0]!.quantity.precision = 'at-least';
  const { counters, catalog } = countersOf([
    ...world(),
    donation('us-inl', 'mss', [line('apc', 4)]),
    atLeast,
    receipt('s1', [line('apc', 2)]),
  ]);
  const view = inventoryView(counters, catalog);
  t.same(view.inTransit, [], 'nothing is shown on the way');
  t.match(view.totals, [{ category: 'armored-vehicle', onHand: 4, inTransit: 0 }]);
});

t.test('a reversal whose target the reader cannot find moves nothing', async (t) => {
  const [orphan] = record([reversal('00000000-0000-4000-8000-0000000000ff')]);
  t.same(
    inventoryDeltas(orphan as never, () => undefined),
    [],
  );
});

t.test('shipments on the way are listed by id, and their items by item type', async (t) => {
  const { counters, catalog } = countersOf([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 10), line('apc', 4)]),
    dispatch('s2', 'mss', 'hnp', [line('rifle', 1)]),
    dispatch('s1', 'mss', 'hnp', [line('rifle', 2), line('apc', 1)]),
  ]);
  t.same(
    inventoryView(counters, catalog).inTransit.map((s) => [s.shipmentId, s.items.map((i) => i.itemType)]),
    [
      ['s1', ['apc', 'rifle']],
      ['s2', ['rifle']],
    ],
  );
});
