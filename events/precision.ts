/**
 * How sure a figure is. Sources say "at least 600" or "tens of bullets"; a sum
 * of such figures is still a figure with a lower and an upper bound. Counters
 * keep the counted value (the lower bound of every inexact figure, as the
 * ledger has always counted it); beside it, and only for inexact figures, three
 * companion counters keep what bounds and precision need:
 *
 * - `<kind>~lo`: the sum of (lower bound − counted value), and in `inexact`
 *   how many figures leave the lower bound open (an outflow of "at least N");
 * - `<kind>~hi`: the sum of (upper bound − counted value), and in `inexact`
 *   how many figures leave the upper bound open ("at least N" coming in);
 * - `<kind>~ap`: in `inexact`, how many of the inexact figures are approximate.
 *
 * They are sums like any other, so asOf, knownAt and reversals (which negate
 * an event's deltas) work on them unchanged: reversing an inexact entry takes
 * its companions back out, and the figure is exact again.
 */
import { delta, keyRef, type Counter, type Counters, type Delta } from './counters.js';

export type Precision = 'exact' | 'at-least' | 'approximate' | 'mixed';

/** A figure's precision and bounds; `null` means unbounded on that side. */
export interface Bounds {
  precision: Precision;
  lower: number | null;
  upper: number | null;
}

/** What one recorded quantity says: its precision and, when known, its upper bound. */
export interface FigureShape {
  precision: 'exact' | 'at-least' | 'approximate';
  /** Upper bound; undefined when the source gives none (every "at least", an approximate without `upTo`). */
  upTo: number | undefined;
}

export const LOWER = '~lo';
export const UPPER = '~hi';
export const APPROXIMATE = '~ap';

export const isCompanionKind = (kind: string) =>
  kind.endsWith(LOWER) || kind.endsWith(UPPER) || kind.endsWith(APPROXIMATE);

/**
 * The companion deltas of one figure of `value` moving into (`direction` 1) or
 * out of (-1) the counter named by `kind, b, c[, d]`; `sign` -1 undoes it (a reversal).
 * An exact figure has none.
 */
export function boundDeltas(
  figure: FigureShape,
  value: number,
  direction: 1 | -1,
  sign: 1 | -1,
  kind: string,
  b: string,
  c: string,
  d?: string,
): Delta[] {
  if (figure.precision === 'exact') return [];
  const slack = figure.upTo === undefined ? undefined : figure.upTo - value;
  // Coming in, X in [value, upTo] raises the upper bound by the slack; going out, it lowers the lower bound.
  const side = direction === 1 ? UPPER : LOWER;
  const deltas: Delta[] = [];
  if (slack === undefined) deltas.push(delta(keyRef(kind + side, b, c, d), 0, sign as 0 | 1));
  else if (slack !== 0) deltas.push(delta(keyRef(kind + side, b, c, d), sign * direction * slack, 0));
  if (figure.precision === 'approximate') deltas.push(delta(keyRef(kind + APPROXIMATE, b, c, d), 0, sign as 0 | 1));
  return deltas;
}

const NONE: Counter = { value: 0, inexact: 0 };

/** The bounds of a counter, read with its companions (`key` is the main counter's key, `kind|…`). */
export function boundsOf(counters: Counters, kind: string, rest: string, main: Counter): Bounds {
  const lower = counters.get(kind + LOWER + rest) ?? NONE;
  const upper = counters.get(kind + UPPER + rest) ?? NONE;
  const approximate = counters.get(kind + APPROXIMATE + rest) ?? NONE;
  return {
    precision:
      main.inexact === 0
        ? 'exact'
        : approximate.inexact === 0
          ? 'at-least'
          : approximate.inexact >= main.inexact
            ? 'approximate'
            : 'mixed',
    lower: lower.inexact > 0 ? null : main.value + lower.value,
    upper: upper.inexact > 0 ? null : main.value + upper.value,
  };
}

/** Stock cannot be below zero (`holder-stock-insufficient`): an open or negative lower bound is 0. */
export const asStock = (bounds: Bounds): Bounds => ({
  ...bounds,
  lower: bounds.lower === null || bounds.lower < 0 ? 0 : bounds.lower,
});

/**
 * Bounds of a sum: bounds add, an open side stays open; exact parts do not
 * change the precision of the rest, and two kinds of inexact figures are `mixed`.
 */
export function sumBounds(parts: readonly Bounds[]): Bounds {
  let lower: number | null = 0;
  let upper: number | null = 0;
  let precision: Precision = 'exact';
  for (const part of parts) {
    lower = lower === null || part.lower === null ? null : lower + part.lower;
    upper = upper === null || part.upper === null ? null : upper + part.upper;
    if (part.precision === 'exact' || part.precision === precision) continue;
    precision = precision === 'exact' ? part.precision : 'mixed';
  }
  return { precision, lower, upper };
}

export const EXACT_ZERO: Bounds = { precision: 'exact', lower: 0, upper: 0 };

export const EXACT_SHAPE: FigureShape = Object.freeze({ precision: 'exact', upTo: undefined });

/** The figure shape of a recorded quantity; exact ones (nearly all) share one object. */
export const shapeOf = (quantity: { precision: FigureShape['precision']; upTo?: number | undefined }): FigureShape =>
  quantity.precision === 'exact' ? EXACT_SHAPE : { precision: quantity.precision, upTo: quantity.upTo };
