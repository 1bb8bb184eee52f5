/**
 * Timeline: for charts, the stock of each category held by each holder (and
 * by all holders together) at the end of each day, week or month. It starts
 * from the time index's answer just before the range and walks the facts of
 * the range once, so its cost grows with the range, not with the history.
 */
import { EXTERNAL_PARTY_KINDS } from '../events/index.js';
import type { Catalog } from './catalog.js';
import { splitKey, type Counters, type Delta } from '../events/counters.js';
import { asStock, boundsOf, EXACT_ZERO, type Bounds } from '../events/precision.js';
import type { TimeIndex } from './time-index/time-index.js';

export type Interval = 'day' | 'week' | 'month';

export interface TimelineQuery {
  from: number;
  to: number;
  interval: Interval;
  knownAt: number;
  knownAtTime: number;
  holder?: string | undefined;
  category?: string | undefined;
}

export interface TimelineView {
  interval: Interval;
  series: {
    holder: string;
    category: string;
    points: ({ date: string; quantity: number; exact: boolean } & Bounds)[];
  }[];
}

/** End instants (inclusive, ms) of the buckets covering [from, to]. */
export function bucketEnds(from: number, to: number, interval: Interval): number[] {
  const ends: number[] = [];
  const start = new Date(from);
  let cursor = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  while (cursor <= to) {
    const d = new Date(cursor);
    const next =
      interval === 'day'
        ? cursor + 86_400_000
        : interval === 'week'
          ? cursor + 7 * 86_400_000
          : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    ends.push(Math.min(next - 1, to));
    cursor = next;
  }
  return ends;
}

export function timelineView(index: TimeIndex, catalog: Catalog, query: TimelineQuery): TimelineView {
  const seriesKey = (key: string): string[] => {
    const [kind, holder, itemType] = splitKey(key);
    if (!kind?.startsWith('held') || holder === undefined || itemType === undefined) return [];
    const party = catalog.parties.get(holder);
    if (!party || EXTERNAL_PARTY_KINDS.has(party.kind)) return [];
    if (query.holder !== undefined && query.holder !== holder) return [];
    const category = catalog.itemTypes.get(itemType)?.category ?? 'unknown';
    if (query.category !== undefined && query.category !== category) return [];
    return [`${holder}|${category}`, `all|${category}`];
  };
  // Per series, the main sum and its bound companions (see precision.ts), under the same kinds.
  const totals = new Map<string, Counters>();
  const add = (key: string, value: number, inexact: number) => {
    const kind = key.slice(0, key.indexOf('|'));
    for (const series of seriesKey(key)) {
      let sums = totals.get(series);
      if (!sums) totals.set(series, (sums = new Map()));
      const total = sums.get(kind) ?? { value: 0, inexact: 0 };
      total.value += value;
      total.inexact += inexact;
      sums.set(kind, total);
    }
  };
  const NONE = { value: 0, inexact: 0 };
  const pointOf = (date: string, sums: Counters) => {
    const main = sums.get('held') ?? NONE;
    return { date, quantity: main.value, exact: main.inexact === 0, ...asStock(boundsOf(sums, 'held', '', main)) };
  };
  const start: Counters = index.query(query.from - 1, query.knownAt, query.knownAtTime);
  for (const [key, c] of start) add(key, c.value, c.inexact);

  const ends = bucketEnds(query.from, query.to, query.interval);
  const points = new Map<string, TimelineView['series'][number]['points']>();
  const emit = (end: number) => {
    const date = new Date(end).toISOString().slice(0, 10);
    for (const [series, sums] of totals) {
      let list = points.get(series);
      if (!list) points.set(series, (list = []));
      list.push(pointOf(date, sums));
    }
  };
  let bucket = 0;
  const apply = (deltas: Delta[]) => {
    for (const d of deltas) add(d.key, d.value, d.inexact);
  };
  for (const fact of index.factsBetween(query.from, query.to, query.knownAt)) {
    while (bucket < ends.length && fact.occurred > ends[bucket]!) emit(ends[bucket++]!);
    apply(fact.deltas);
  }
  while (bucket < ends.length) emit(ends[bucket++]!);

  return {
    interval: query.interval,
    series: [...points]
      .map(([key, list]) => {
        const [holder = '', category = ''] = key.split('|');
        // A series that appears mid-range starts at zero before its first point.
        const padded = ends.slice(0, ends.length - list.length).map((end) => ({
          date: new Date(end).toISOString().slice(0, 10),
          quantity: 0,
          exact: true,
          ...EXACT_ZERO,
        }));
        return { holder, category, points: [...padded, ...list] };
      })
      .filter((s) => s.points.some((p) => p.quantity !== 0))
      .sort((a, b) => a.holder.localeCompare(b.holder) || a.category.localeCompare(b.category)),
  };
}
