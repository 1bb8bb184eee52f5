/**
 * The timeline behind the dashboard's charts: given a history, then the stock of each category per
 * holder (and for all holders) at the end of each day, week or month. Examples for the buckets and
 * the series; a property on a coarse day grid (facts land exactly on a range's edges and on bucket
 * ends) checks every point against a plain sum over the facts.
 */
import fc from 'fast-check';
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { emptyCatalog, evolveCatalog, type Catalog } from '../../projections/catalog.js';
import { inventoryDeltas } from '../../projections/inventory.js';
import { TimeIndex, type IndexedFact } from '../../projections/time-index/time-index.js';
import { bucketEnds, timelineView, type Interval, type TimelineQuery } from '../../projections/timeline.js';
import { donation, expended, line, seizure, transfer, world } from '../support/fixtures.js';
import { foldAll } from '../support/fold.js';
import { record } from '../support/given.js';

const DAY = 86_400_000;
const at = (date: string) => Date.parse(date.length === 10 ? `${date}T00:00:00.000Z` : date);

/** The catalog and the inventory's time index of a history, as the projector builds them (recorded a minute apart). */
function indexed(history: IncomingEvent[]): { catalog: Catalog; index: TimeIndex; head: number } {
  const catalog = emptyCatalog();
  const index = new TimeIndex({ snapshotEvery: 2 });
  const recorded = record(history);
  let i = 0;
  foldAll(recorded, (event, shipments) => {
    evolveCatalog(catalog, event);
    const deltas = inventoryDeltas(event, shipments);
    i++;
    if (deltas.length > 0)
      index.add({ occurred: at(event.occurredAt), recorded: at('2026-01-01') + i * 60_000, position: i, deltas });
  });
  return { catalog, index, head: i };
}

const query = (head: number, q: Partial<TimelineQuery> & Pick<TimelineQuery, 'from' | 'to'>): TimelineQuery => ({
  interval: 'month',
  knownAt: head,
  knownAtTime: Number.MAX_SAFE_INTEGER,
  ...q,
});

/** Series as "holder category: q1 q2 …", the way a chart reads them. */
const lines = (view: ReturnType<typeof timelineView>) =>
  view.series.map((s) => `${s.holder} ${s.category}: ${s.points.map((p) => p.quantity).join(' ')}`);

t.test('bucket ends: the last instant of each day, week or month, the last one cut at the range end', async (t) => {
  t.same(
    bucketEnds(at('2025-02-10T15:00:00Z'), at('2025-02-12T06:00:00Z'), 'day'),
    [at('2025-02-11') - 1, at('2025-02-12') - 1, at('2025-02-12T06:00:00Z')],
    'days start at midnight UTC of the first day',
  );
  t.same(
    bucketEnds(at('2025-02-01'), at('2025-02-21') - 1, 'week'),
    [at('2025-02-08') - 1, at('2025-02-15') - 1, at('2025-02-21') - 1],
    'weeks of seven days from the first day',
  );
  t.same(
    bucketEnds(at('2024-01-15'), at('2024-03-10'), 'month'),
    [at('2024-02-01') - 1, at('2024-03-01') - 1, at('2024-03-10')],
    'months end on their last day (29 February in a leap year)',
  );
  t.same(
    bucketEnds(at('2024-12-20'), at('2025-01-05'), 'month'),
    [at('2025-01-01') - 1, at('2025-01-05')],
    'December runs into the next year',
  );
  t.same(bucketEnds(at('2025-02-10'), at('2025-02-10'), 'day'), [at('2025-02-10')], 'a range of one instant');
  t.same(bucketEnds(at('2025-02-11'), at('2025-02-10'), 'day'), [], 'an empty range has no buckets');
});

t.test('monthly stock per holder and for all, holders inside the books only, sorted', async (t) => {
  const { catalog, index, head } = indexed([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 100), line('apc', 4)], '2025-01-20'),
    transfer('mss', 'hnp', [line('rifle', 30)], '2025-03-14'),
    seizure('gang-5-segonn', 'hnp', [line('rifle', 5)], '2025-04-02'),
    expended('mss', [line('apc', 1)], '2025-04-30'),
  ]);
  const view = timelineView(index, catalog, query(head, { from: at('2025-02-01'), to: at('2025-05-01') - 1 }));
  t.equal(view.interval, 'month');
  t.same(
    lines(view),
    [
      'all armored-vehicle: 4 4 3',
      'all firearm: 100 100 105',
      'hnp firearm: 0 30 35',
      'mss armored-vehicle: 4 4 3',
      'mss firearm: 100 70 70',
    ],
    'a donor and an armed group have no series; stock from before the range is in the first point',
  );
  const hnp = view.series.find((s) => s.holder === 'hnp')!;
  t.same(
    hnp.points.map((p) => p.date),
    ['2025-02-28', '2025-03-31', '2025-04-30'],
    'a series that starts mid-range is padded with zeros from the first bucket',
  );
  t.ok(
    view.series.every((s) =>
      s.points.every((p) => p.exact && p.precision === 'exact' && p.lower === p.quantity && p.upper === p.quantity),
    ),
    'exact figures make exact points whose bounds are the quantity',
  );
});

t.test('the holder and category filters', async (t) => {
  const { catalog, index, head } = indexed([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 100), line('apc', 4)], '2025-01-20'),
    transfer('mss', 'hnp', [line('rifle', 30), line('apc', 1)], '2025-02-14'),
  ]);
  const range = { from: at('2025-02-01'), to: at('2025-03-01') - 1 };
  t.same(lines(timelineView(index, catalog, query(head, { ...range, holder: 'hnp' }))), [
    'all armored-vehicle: 1',
    'all firearm: 30',
    'hnp armored-vehicle: 1',
    'hnp firearm: 30',
  ]);
  t.same(lines(timelineView(index, catalog, query(head, { ...range, category: 'firearm' }))), [
    'all firearm: 100',
    'hnp firearm: 30',
    'mss firearm: 70',
  ]);
  t.same(lines(timelineView(index, catalog, query(head, { ...range, holder: 'mss', category: 'armored-vehicle' }))), [
    'all armored-vehicle: 3',
    'mss armored-vehicle: 3',
  ]);
  t.same(lines(timelineView(index, catalog, query(head, { ...range, holder: 'nobody' }))), []);
});

t.test('an item type nobody registered is charted under "unknown"', async (t) => {
  const { catalog, index, head } = indexed([...world(), donation('us-inl', 'mss', [line('drone', 2)], '2025-01-20')]);
  t.same(lines(timelineView(index, catalog, query(head, { from: at('2025-02-01'), to: at('2025-02-02') - 1 }))), [
    'all unknown: 2',
    'mss unknown: 2',
  ]);
});

t.test('an "at least" figure makes its points inexact with an open upper bound', async (t) => {
  const atLeast = donation('us-inl', 'mss', [line('rounds', 1000)], '2025-02-10');
  (atLeast.data as { lines: { quantity: { precision: string } }[] }).lines[0]!.quantity.precision = 'at-least';
  const { catalog, index, head } = indexed([...world(), donation('us-inl', 'mss', [line('rounds', 500)]), atLeast]);
  const view = timelineView(
    index,
    catalog,
    query(head, { from: at('2025-02-09'), to: at('2025-02-11') - 1, interval: 'day' }),
  );
  const mss = view.series.find((s) => s.holder === 'mss')!;
  t.same(
    mss.points.map(({ date, quantity, exact, precision, lower, upper }) => ({
      date,
      quantity,
      exact,
      precision,
      lower,
      upper,
    })),
    [
      { date: '2025-02-09', quantity: 0, exact: true, precision: 'exact', lower: 0, upper: 0 },
      { date: '2025-02-10', quantity: 1500, exact: false, precision: 'at-least', lower: 1500, upper: null },
    ],
  );
});

t.test('knownAt: what the ledger said then, without events recorded later', async (t) => {
  const { catalog, index } = indexed([
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 100)], '2025-01-20'),
    transfer('mss', 'hnp', [line('rifle', 30)], '2025-01-25'),
    transfer('mss', 'hnp', [line('rifle', 20)], '2025-02-14'),
  ]);
  const range = { from: at('2025-01-01'), to: at('2025-03-01') - 1 };
  // Positions: 7 world events, then the donation (8) and the two transfers (9, 10).
  t.same(lines(timelineView(index, catalog, query(9, range))), [
    'all firearm: 100 100',
    'hnp firearm: 30 30',
    'mss firearm: 70 70',
  ]);
  t.same(lines(timelineView(index, catalog, query(8, range))), ['all firearm: 100 100', 'mss firearm: 100 100']);
  t.same(lines(timelineView(index, catalog, query(10, { ...range, from: at('2025-02-01') }))), [
    'all firearm: 100',
    'hnp firearm: 50',
    'mss firearm: 50',
  ]);
});

const HOLDERS = ['mss', 'hnp', 'us-inl', 'gang-5-segonn'] as const;
const INSIDE = new Set(['mss', 'hnp']);
const ITEMS = { rifle: 'firearm', apc: 'armored-vehicle', rounds: 'ammunition' } as const;
const START = at('2025-01-01');

t.test('on a day grid, every point is the sum of the facts up to its bucket’s end, known by then', async (t) => {
  const worldCatalog = indexed(world()).catalog;
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          day: fc.integer({ min: 0, max: 70 }),
          holder: fc.constantFrom(...HOLDERS),
          item: fc.constantFrom(...(Object.keys(ITEMS) as (keyof typeof ITEMS)[])),
          value: fc.integer({ min: -20, max: 40 }),
        }),
        { minLength: 1, maxLength: 30 },
      ),
      fc.integer({ min: 0, max: 70 }),
      fc.integer({ min: 0, max: 40 }),
      fc.constantFrom<Interval>('day', 'week', 'month'),
      fc.nat(),
      (steps, fromDay, length, interval, knownPick) => {
        const facts: IndexedFact[] = steps.map((s, i) => ({
          occurred: START + s.day * DAY,
          recorded: START + 100 * DAY + i,
          position: i + 1,
          deltas: [{ key: `held|${s.holder}|${s.item}`, value: s.value, inexact: 0 }],
        }));
        const index = new TimeIndex({ snapshotEvery: 3 });
        for (const fact of facts) index.add(fact);
        const knownAt = knownPick % (facts.length + 1);
        const from = START + fromDay * DAY;
        const to = from + length * DAY; // on the grid: facts land exactly on `to` and on `from`
        const view = timelineView(index, worldCatalog, { from, to, interval, knownAt, knownAtTime: Infinity });
        const ends = bucketEnds(from, to, interval);

        const sumAt = (end: number, holder: string, category: string) =>
          steps.reduce(
            (sum, s, i) =>
              facts[i]!.position <= knownAt &&
              facts[i]!.occurred <= end &&
              ITEMS[s.item] === category &&
              (holder === 'all' ? INSIDE.has(s.holder) : s.holder === holder)
                ? sum + s.value
                : sum,
            0,
          );
        const expected: string[] = [];
        for (const holder of ['all', 'hnp', 'mss'])
          for (const category of [...new Set(Object.values(ITEMS))].sort()) {
            const quantities = ends.map((end) => sumAt(end, holder, category));
            if (quantities.some((q) => q !== 0)) expected.push(`${holder} ${category}: ${quantities.join(' ')}`);
          }
        const got = lines(view);
        if (JSON.stringify(got) !== JSON.stringify(expected))
          throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
        const dates = ends.map((end) => new Date(end).toISOString().slice(0, 10));
        for (const s of view.series)
          if (JSON.stringify(s.points.map((p) => p.date)) !== JSON.stringify(dates))
            throw new Error(`dates ${JSON.stringify(s.points.map((p) => p.date))}, expected ${JSON.stringify(dates)}`);
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random histories agree with a plain sum');
});
