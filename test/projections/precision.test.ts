/**
 * Precision and bounds: every amount and total says how sure it is. Given
 * events with "at least", approximate and exact figures, then the bounds each
 * projection answers, sums included; and reversals take inexactness back out.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { emptyCatalog, evolveCatalog } from '../../projections/catalog.js';
import type { Counters } from '../../events/counters.js';
import { donorDeltas, donorsView } from '../../projections/donors.js';
import { evolveInventory, inventoryView } from '../../projections/inventory.js';
import { evolvePersonnel, personnelView } from '../../projections/personnel.js';
import { sumBounds } from '../../events/precision.js';
import { applyDeltas } from '../../events/counters.js';
import { departed, deployed, donation, line, newId, reversal, transfer, world } from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

function inventoryOf(history: IncomingEvent[]) {
  const counters: Counters = new Map();
  const catalog = emptyCatalog();
  foldAll(record(history), (event, shipments) => {
    evolveCatalog(catalog, event);
    evolveInventory(counters, event, shipments);
  });
  return inventoryView(counters, catalog);
}

const personnelOf = (history: IncomingEvent[]) => {
  const counters: Counters = new Map();
  foldAll(record(history), (event) => evolvePersonnel(counters, event));
  return personnelView(counters);
};

type Q = { value: number; precision: 'exact' | 'at-least' | 'approximate'; upTo?: number };
const gift = (recipient: string, itemType: string, quantity: Q, occurredAt = '2025-02-10'): IncomingEvent => ({
  id: newId(),
  type: 'DonationReceived',
  occurredAt,
  data: { donor: 'us-inl', recipient, lines: [{ itemType, quantity }] },
});

const holding = (view: ReturnType<typeof inventoryOf>, holder: string, itemType: string) =>
  view.holders.find((h) => h.holder === holder)?.items.find((i) => i.itemType === itemType);
const total = (view: ReturnType<typeof inventoryOf>, category: string) =>
  view.totals.find((x) => x.category === category);

t.test('"at least 600" is ≥ 600, "tens" is 20–99, an exact figure is itself', async (t) => {
  const view = inventoryOf([
    ...world(),
    gift('mss', 'rifle', { value: 600, precision: 'at-least' }),
    gift('mss', 'rounds', { value: 20, precision: 'approximate', upTo: 99 }),
    gift('hnp', 'apc', { value: 2, precision: 'exact' }),
  ]);
  t.match(holding(view, 'mss', 'rifle'), { quantity: 600, precision: 'at-least', lower: 600, upper: null });
  t.match(holding(view, 'mss', 'rounds'), { quantity: 20, precision: 'approximate', lower: 20, upper: 99 });
  t.match(holding(view, 'hnp', 'apc'), { quantity: 2, precision: 'exact', lower: 2, upper: 2 });
});

t.test("a category total adds its amounts' bounds; precisions combine", async (t) => {
  const view = inventoryOf([
    ...world(),
    gift('mss', 'rifle', { value: 600, precision: 'at-least' }),
    gift('hnp', 'rifle', { value: 15, precision: 'exact' }),
    gift('mss', 'rounds', { value: 20, precision: 'approximate', upTo: 99 }),
    gift('hnp', 'rounds', { value: 100, precision: 'approximate', upTo: 200 }),
    gift('hnp', 'apc', { value: 2, precision: 'exact' }),
  ]);
  t.same(total(view, 'firearm')?.onHandBounds, { precision: 'at-least', lower: 615, upper: null }, 'at least + exact');
  t.same(
    total(view, 'ammunition')?.onHandBounds,
    { precision: 'approximate', lower: 120, upper: 299 },
    'two estimates: bounds add',
  );
  t.same(total(view, 'armored-vehicle')?.onHandBounds, { precision: 'exact', lower: 2, upper: 2 });
  t.same(
    sumBounds([total(view, 'firearm')!.onHandBounds, total(view, 'ammunition')!.onHandBounds]),
    { precision: 'mixed', lower: 735, upper: null },
    'an at-least and an approximate sum is mixed',
  );
});

t.test('a holding that mixes an "at least" and an estimate of one item is mixed', async (t) => {
  const view = inventoryOf([
    ...world(),
    gift('mss', 'rounds', { value: 500, precision: 'at-least' }),
    gift('mss', 'rounds', { value: 20, precision: 'approximate', upTo: 99 }),
  ]);
  t.match(holding(view, 'mss', 'rounds'), { quantity: 520, precision: 'mixed', lower: 520, upper: null });
});

t.test("handing on part of an estimate: the giver's bounds narrow honestly, the taker's widen", async (t) => {
  const estimate = gift('mss', 'rounds', { value: 20, precision: 'approximate', upTo: 99 });
  const onward: IncomingEvent = {
    ...transfer('mss', 'hnp', []),
    data: {
      from: 'mss',
      to: 'hnp',
      lines: [{ itemType: 'rounds', quantity: { value: 10, precision: 'approximate', upTo: 30 } }],
    },
  } as IncomingEvent;
  const view = inventoryOf([...world(), estimate, onward]);
  // The mission had 20–99 and gave away 10–30: it keeps between 20−30 (never below 0) and 99−10.
  t.match(holding(view, 'mss', 'rounds'), { quantity: 10, precision: 'approximate', lower: 0, upper: 89 });
  t.match(holding(view, 'hnp', 'rounds'), { quantity: 10, precision: 'approximate', lower: 10, upper: 30 });
});

t.test('handing on or losing "at least N" leaves the giver\'s lower bound open, not at the counted rest', async (t) => {
  const atLeast600 = { value: 600, precision: 'at-least' as const };
  const onward = {
    ...transfer('mss', 'hnp', []),
    data: { from: 'mss', to: 'hnp', lines: [{ itemType: 'rifle', quantity: atLeast600 }] },
  } as IncomingEvent;
  const view = inventoryOf([...world(), gift('mss', 'rifle', { value: 1000, precision: 'exact' }), onward]);
  // The mission had exactly 1,000 and gave away 600 or more: it keeps at most 400, perhaps none.
  t.match(holding(view, 'mss', 'rifle'), { quantity: 400, precision: 'at-least', lower: 0, upper: 400 });
  t.match(holding(view, 'hnp', 'rifle'), { quantity: 600, precision: 'at-least', lower: 600, upper: null });

  const left: IncomingEvent = {
    ...departed('kenya', 1),
    data: { country: 'kenya', role: 'police', count: { value: 50, precision: 'at-least' } },
  } as IncomingEvent;
  const personnel = personnelOf([deployed('kenya', 200), left]);
  // 200 came and 50 or more left: at most 150 remain; how few is open (personnel keeps no floor at 0).
  t.match(personnel.byCountry, [{ country: 'kenya', deployed: 150, precision: 'at-least', lower: null, upper: 150 }]);
});

t.test('reversing an inexact entry restores exactness and the exact bounds', async (t) => {
  const atLeast = gift('mss', 'rifle', { value: 600, precision: 'at-least' });
  const tens = gift('mss', 'rounds', { value: 20, precision: 'approximate', upTo: 99 });
  const view = inventoryOf([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 10)]),
    donation('us-inl', 'mss', [line('rounds', 5)]),
    atLeast,
    tens,
    reversal(atLeast.id!),
    reversal(tens.id!),
  ]);
  t.match(holding(view, 'mss', 'rifle'), { quantity: 10, exact: true, precision: 'exact', lower: 10, upper: 10 });
  t.match(holding(view, 'mss', 'rounds'), { quantity: 5, exact: true, precision: 'exact', lower: 5, upper: 5 });
  t.same(total(view, 'firearm')?.onHandBounds, { precision: 'exact', lower: 10, upper: 10 });
});

t.test('personnel: a contingent that joined without a size says so, and the total is a lower bound', async (t) => {
  const joined: IncomingEvent = {
    id: newId(),
    type: 'PersonnelDeployed',
    occurredAt: '2024-11-07',
    data: { country: 'belize', role: 'unspecified', count: { value: 1, precision: 'at-least' } },
  };
  const view = personnelOf([deployed('kenya', 200), joined]);
  t.match(view.byCountry, [
    { country: 'belize', sizeReported: false, precision: 'at-least', lower: 1, upper: null },
    { country: 'kenya', sizeReported: true, precision: 'exact', lower: 200, upper: 200 },
  ]);
  t.match(view, { deployed: 201, precision: 'at-least', lower: 201, upper: null, sizeNotReported: 1 });
  const reversed = personnelOf([deployed('kenya', 200), joined, reversal(joined.id!)]);
  t.match(reversed, { deployed: 200, precision: 'exact', lower: 200, upper: 200, sizeNotReported: 0 });
});

t.test('personnel: a reported "at least 30" is a size, and an estimate keeps its upper bound', async (t) => {
  const atLeast: IncomingEvent = {
    id: newId(),
    type: 'PersonnelDeployed',
    occurredAt: '2024-11-07',
    data: { country: 'jamaica', role: 'military', count: { value: 30, precision: 'at-least' } },
  };
  const about: IncomingEvent = {
    id: newId(),
    type: 'PersonnelDeployed',
    occurredAt: '2024-11-07',
    data: { country: 'bahamas', role: 'police', count: { value: 100, precision: 'approximate', upTo: 150 } },
  };
  const view = personnelOf([atLeast, about]);
  t.match(view.byCountry, [
    { country: 'bahamas', sizeReported: true, precision: 'approximate', lower: 100, upper: 150 },
    { country: 'jamaica', sizeReported: true, precision: 'at-least', lower: 30, upper: null },
  ]);
  t.match(view, { deployed: 130, precision: 'mixed', lower: 130, upper: null });
});

t.test('personnel pledges: pledged beside deployed per country, sizes only where given', async (t) => {
  const pledge = (country: string, count?: Q): IncomingEvent => ({
    id: newId(),
    type: 'PersonnelPledged',
    occurredAt: '2024-06-30',
    data: { country, role: 'unspecified', ...(count ? { count } : {}) },
  });
  const chad = pledge('chad');
  const view = personnelOf([
    pledge('kenya', { value: 1000, precision: 'exact' }),
    chad,
    pledge('benin'),
    deployed('kenya', 400),
    reversal(chad.id!),
  ]);
  t.same(
    view.forceGeneration.map((f) => [
      f.country,
      f.pledged?.quantity ?? null,
      f.pledgesWithoutSize,
      f.deployed.quantity,
    ]),
    [
      ['benin', null, 1, 0],
      ['kenya', 1000, 0, 400],
    ],
    'a reversed pledge is gone; a pledge with no size is counted as a pledge, not as a number',
  );
  t.equal(view.deployed, 400, 'pledges are not deployments');
  t.match(view.pledges, [{ country: 'benin', pledges: 1, pledged: null, sizeNotGiven: 1 }, { country: 'kenya' }]);
});

t.test('donors: a pledge or delivery keeps its bounds per category', async (t) => {
  const history = record([
    ...world(),
    gift('mss', 'rifle', { value: 600, precision: 'at-least' }),
    gift('mss', 'rifle', { value: 5, precision: 'exact' }),
    gift('mss', 'rounds', { value: 20, precision: 'approximate', upTo: 99 }),
  ]);
  const counters: Counters = new Map();
  const catalog = emptyCatalog();
  foldAll(history, (event, shipments) => {
    evolveCatalog(catalog, event);
    applyDeltas(counters, donorDeltas(event, shipments, catalog));
  });
  const [donor] = donorsView(counters, catalog).donors;
  t.match(donor?.byCategory, [
    {
      category: 'ammunition',
      measures: { delivered: { quantity: 20, precision: 'approximate', lower: 20, upper: 99 } },
    },
    { category: 'firearm', measures: { delivered: { quantity: 605, precision: 'at-least', lower: 605, upper: null } } },
  ]);
});
