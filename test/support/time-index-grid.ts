/**
 * Histories for the time index's property tests, drawn on a grid of whole days: several facts a
 * day, some backdated by whole days, so facts share an instant and a query's ends fall exactly on
 * facts (millisecond dates almost never tie).
 */
import fc from 'fast-check';
import { TimeIndex, type IndexedFact } from '../../projections/time-index/time-index.js';

export const DAY = 24 * 60 * 60 * 1000;
export const START = Date.parse('2024-06-01T00:00:00Z');
export const GRID_KEYS = ['held|mss|rifle', 'held|hnp|rifle', 'transit|s1|apc'];

export interface GridShape {
  /** Facts at most. */
  maxLength: number;
  /** A backdated fact occurred 1 to this many days before it was recorded. */
  maxLagDays: number;
  /** Delta values are drawn from [-maxValue, maxValue]: small ones make sums come back to zero often. */
  maxValue: number;
  /** Deltas per fact, at most. */
  maxDeltas: number;
}

/** A fact's deltas: 1 to `maxDeltas` of them on `keys`, values in [-maxValue, maxValue], exact or not. */
export const factDeltas = (keys: readonly string[], maxValue: number, maxDeltas: number) =>
  fc.array(
    fc.record({
      key: fc.constantFrom(...keys),
      value: fc.integer({ min: -maxValue, max: maxValue }),
      inexact: fc.constantFrom(0 as const, 1 as const),
    }),
    { minLength: 1, maxLength: maxDeltas },
  );

/** Facts in recording order, positions 1, 2, 3…, recorded on day 0, 0 or 1 after the last, and so on. */
export const dayGridHistory = ({ maxLength, maxLagDays, maxValue, maxDeltas }: GridShape) =>
  fc
    .array(
      fc.record({
        gap: fc.integer({ min: 0, max: 1 }),
        lag: fc.oneof(
          { weight: 3, arbitrary: fc.constant(0) },
          { weight: 2, arbitrary: fc.integer({ min: 1, max: maxLagDays }) },
        ),
        deltas: factDeltas(GRID_KEYS, maxValue, maxDeltas),
      }),
      { minLength: 1, maxLength },
    )
    .map((steps) => {
      let day = 0;
      return steps.map((step, i): IndexedFact => {
        day += step.gap;
        return {
          recorded: START + day * DAY,
          occurred: START + (day - step.lag) * DAY,
          position: i + 1,
          deltas: step.deltas,
        };
      });
    });

/** An index built as the first start's two threads build it: each fact to one of two bulk halves, merged. */
export function mergedInBulk(
  facts: readonly IndexedFact[],
  toWorker: readonly boolean[],
  options: ConstructorParameters<typeof TimeIndex>[0],
): TimeIndex {
  const main = new TimeIndex(options);
  const worker = new TimeIndex(options);
  main.beginBulk();
  worker.beginBulk();
  facts.forEach((fact, i) => (toWorker[i] ? worker : main).add(fact));
  main.mergeBulk(worker.export());
  main.endBulk();
  return main;
}
