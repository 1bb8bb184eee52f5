/** The donors projection: pledged, dispatched, delivered and written off, by donor and category. */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { emptyCatalog, evolveCatalog } from '../../projections/catalog.js';
import type { Counters } from '../../events/counters.js';
import { applyDeltas } from '../../events/counters.js';
import { donorDeltas, donorsView } from '../../projections/donors.js';
import { close, dispatch, donation, line, receipt, reversal, world } from '../support/fixtures.js';
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

const pledge = (value: number): IncomingEvent =>
  ({ ...donation('us-inl', 'mss', [line('rifle', value)]), type: 'DonationPledged' }) as IncomingEvent;

t.test('pledges, shipments and donations, by category', async (t) => {
  const view = donorsOf([
    ...world(),
    pledge(1000),
    donation('us-inl', 'mss', [line('rifle', 100)]),
    dispatch('s1', 'us-inl', 'mss', [line('apc', 4)]),
    receipt('s1', [line('apc', 3)]),
    close('s1'),
  ]);
  const inl = view.donors.find((d) => d.donor === 'us-inl');
  const firearm = inl?.byCategory.find((c) => c.category === 'firearm')?.measures;
  const armored = inl?.byCategory.find((c) => c.category === 'armored-vehicle')?.measures;
  t.match(firearm, { pledged: { quantity: 1000 }, delivered: { quantity: 100 }, dispatched: { quantity: 0 } });
  t.match(armored, { dispatched: { quantity: 4 }, delivered: { quantity: 3 }, writtenOff: { quantity: 1 } });
});

t.test('reversals take figures back out', async (t) => {
  const gift = donation('us-inl', 'mss', [line('rifle', 100)]);
  const closing = close('s1');
  const view = donorsOf([
    ...world(),
    gift,
    reversal(gift.id ?? ''),
    dispatch('s1', 'us-inl', 'mss', [line('apc', 4)]),
    closing,
    reversal(closing.id ?? ''),
  ]);
  const inl = view.donors.find((d) => d.donor === 'us-inl');
  t.equal(
    inl?.byCategory.find((c) => c.category === 'firearm'),
    undefined,
    'the reversed donation leaves nothing',
  );
  t.match(inl?.byCategory.find((c) => c.category === 'armored-vehicle')?.measures, { writtenOff: { quantity: 0 } });
});
