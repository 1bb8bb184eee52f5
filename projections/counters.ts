/**
 * Most of what the ledger shows is a sum: stock on hand, people deployed,
 * what donors gave. Each such projection turns an event into deltas on named
 * counters, and its state is the counters. Sums commute, which is what makes
 * answers for any date cheap (see timeline-index.ts): a backdated event adds
 * its deltas; a reversal subtracts the deltas of the event it reverses.
 */

export interface Delta {
  key: string;
  value: number;
  /** 1 when the figure behind the delta is only a bound or an estimate. */
  inexact: 0 | 1;
}

export interface Counter {
  value: number;
  /** How many inexact figures the value includes; a total is exact only when this is 0. */
  inexact: number;
}

export type Counters = Map<string, Counter>;

export function applyDeltas(counters: Counters, deltas: readonly Delta[], sign: 1 | -1 = 1): Counters {
  for (const delta of deltas) {
    const counter = counters.get(delta.key);
    if (counter) {
      counter.value += sign * delta.value;
      counter.inexact += sign * delta.inexact;
      if (counter.value === 0 && counter.inexact === 0) counters.delete(delta.key);
    } else {
      counters.set(delta.key, { value: sign * delta.value, inexact: sign * delta.inexact });
    }
  }
  return counters;
}

export const KEY_SEPARATOR = '|';
export const counterKey = (...parts: string[]) => parts.join(KEY_SEPARATOR);
export const splitKey = (key: string) => key.split(KEY_SEPARATOR);
