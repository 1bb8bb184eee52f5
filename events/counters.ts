/**
 * Most of what the ledger shows is a sum: stock on hand, people deployed,
 * what donors gave. Each such projection turns an event into deltas on named
 * counters, and its state is the counters. Sums commute, which is what makes
 * answers for any date cheap (see timeline-index.ts): a backdated event adds
 * its deltas; a reversal subtracts the deltas of the event it reverses.
 */

export interface Delta {
  key: string;
  /** The key's number in this process (see `keyRef`), when known: indexes look it up by number, not by string. */
  id?: number;
  value: number;
  /** 1 when the figure behind the delta is only a bound or an estimate (-1 when a reversal takes one back out, cast). */
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

export interface KeyRef {
  key: string;
  /** Dense, per process, in order of first use. */
  id: number;
}

/** A level of the key cache: the next part's nodes, by part. */
type KeyLevel = Map<string, KeyNode>;
interface KeyNode {
  ref: KeyRef | undefined;
  next: KeyLevel | undefined;
}
const keys: KeyLevel = new Map();
let keyCount = 0;

const nodeOf = (level: KeyLevel, part: string): KeyNode => {
  let node = level.get(part);
  if (node === undefined) level.set(part, (node = { ref: undefined, next: undefined }));
  return node;
};

/**
 * The counter key of these parts (three or four), made once per process: a fold makes millions of
 * keys from a few thousand distinct ones, and a key seen before is neither joined nor hashed
 * again; its number lets an index find its counter by array index. Fixed parameters rather than
 * a rest parameter: no array per call.
 */
export function keyRef(a: string, b: string, c: string, d?: string): KeyRef {
  const first = nodeOf(keys, a);
  const second = nodeOf((first.next ??= new Map()), b);
  let node = nodeOf((second.next ??= new Map()), c);
  if (d !== undefined) node = nodeOf((node.next ??= new Map()), d);
  // Joined once, when the key is first made.
  return (node.ref ??= { key: (d === undefined ? [a, b, c] : [a, b, c, d]).join(KEY_SEPARATOR), id: keyCount++ });
}

/** The key of these parts, made afresh (see `keyRef` for keys that recur). */
export const counterKey = (...parts: string[]): string => parts.join(KEY_SEPARATOR);

/** A delta on the counter named by these parts. */
export const delta = (parts: KeyRef, value: number, inexact: 0 | 1): Delta => ({
  key: parts.key,
  id: parts.id,
  value,
  inexact,
});

export const splitKey = (key: string) => key.split(KEY_SEPARATOR);
