/**
 * The donors view as a donor's liaison reads it, whole: given pledges, donations and shipments
 * (some from donors, some between parties inside the books), then each donor's figures per
 * category, every measure with its exactness and bounds, donors and categories in order.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import type { Counters } from '../../events/counters.js';
import { applyDeltas } from '../../events/counters.js';
import { emptyCatalog, evolveCatalog } from '../../projections/catalog.js';
import { donorDeltas, donorsView } from '../../projections/donors.js';
import { close, dispatch, donation, line, party, receipt, reversal, world } from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

const donorsOf = (history: IncomingEvent[]) => {
  const counters: Counters = new Map();
  const catalog = emptyCatalog();
  foldAll(record(history), (event, shipments) => {
    evolveCatalog(catalog, event);
    applyDeltas(counters, donorDeltas(event, shipments, catalog));
  });
  return donorsView(counters, catalog);
};

const exact = (quantity: number) => ({ quantity, exact: true, precision: 'exact', lower: quantity, upper: quantity });
const measures = (m: Partial<Record<'pledged' | 'dispatched' | 'delivered' | 'writtenOff', object>>) => ({
  pledged: exact(0),
  dispatched: exact(0),
  delivered: exact(0),
  writtenOff: exact(0),
  ...m,
});

const pledge = (donor: string, recipient: string, lines: object[]) =>
  ({ ...donation(donor, recipient, lines as never), type: 'DonationPledged' }) as IncomingEvent;

t.test('every donor, every category, every measure: only what donors gave, pledged or lost', async (t) => {
  const atLeastTwo = { itemType: 'apc', quantity: { value: 2, precision: 'at-least' } };
  const s4receipt = receipt('s4', [line('rifle', 7)]);
  const view = donorsOf([
    ...world(),
    party('canada', 'donor', 'Canada'),
    party('haiti-gov', 'government', 'Government of Haiti'),
    pledge('canada', 'hnp', [line('rounds', 5000), atLeastTwo]),
    donation('us-inl', 'mss', [line('rifle', 100), line('drone', 3)]),
    // From a donor: dispatched, partly delivered, the rest written off when closed.
    dispatch('s1', 'us-inl', 'mss', [line('apc', 4), line('rifle', 10)]),
    receipt('s1', [line('apc', 3), line('rifle', 10)]),
    close('s1'),
    // Between parties inside the books, or from one that is not a donor: nothing for donors.
    dispatch('s2', 'mss', 'hnp', [line('rifle', 20)]),
    receipt('s2', [line('rifle', 20)]),
    dispatch('s3', 'haiti-gov', 'hnp', [line('rifle', 5)]),
    close('s3'),
    // A receipt recorded in error, reversed: delivered no more, still dispatched.
    dispatch('s4', 'us-inl', 'mss', [line('rifle', 7)]),
    s4receipt,
    reversal(s4receipt.id!),
  ]);
  t.same(view, {
    donors: [
      {
        donor: 'canada',
        name: 'Canada',
        byCategory: [
          {
            category: 'ammunition',
            measures: measures({ pledged: exact(5000) }),
          },
          {
            category: 'armored-vehicle',
            measures: measures({
              pledged: { quantity: 2, exact: false, precision: 'at-least', lower: 2, upper: null },
            }),
          },
        ],
      },
      {
        donor: 'us-inl',
        name: 'US INL',
        byCategory: [
          {
            category: 'armored-vehicle',
            measures: measures({ dispatched: exact(4), delivered: exact(3), writtenOff: exact(1) }),
          },
          { category: 'firearm', measures: measures({ dispatched: exact(17), delivered: exact(110) }) },
          { category: 'unknown', measures: measures({ delivered: exact(3) }) },
        ],
      },
    ],
  });
});

t.test(
  'reversing a closing puts back only what it wrote off; a donor never registered is named by its id',
  async (t) => {
    const closing = close('s1');
    const view = donorsOf([
      ...world(),
      dispatch('s1', 'us-inl', 'mss', [line('apc', 4), line('rifle', 10)]),
      receipt('s1', [line('apc', 1), line('rifle', 10)]),
      closing,
      reversal(closing.id!),
      donation('eu', 'mss', [line('rounds', 9)]),
    ]);
    t.same(
      view.donors.map((d) => [d.donor, d.name]),
      [
        ['eu', 'eu'],
        ['us-inl', 'US INL'],
      ],
    );
    t.same(view.donors[1]!.byCategory, [
      {
        category: 'armored-vehicle',
        measures: measures({ dispatched: exact(4), delivered: exact(1) }),
      },
      { category: 'firearm', measures: measures({ dispatched: exact(10), delivered: exact(10) }) },
    ]);
  },
);

t.test('an estimate keeps its upper bound; the counted value is its lower', async (t) => {
  const about = { itemType: 'rounds', quantity: { value: 20, precision: 'approximate', upTo: 99 } };
  const view = donorsOf([...world(), donation('us-inl', 'mss', [about as never])]);
  t.same(view.donors[0]!.byCategory, [
    {
      category: 'ammunition',
      measures: measures({
        delivered: { quantity: 20, exact: false, precision: 'approximate', lower: 20, upper: 99 },
      }),
    },
  ]);
});
