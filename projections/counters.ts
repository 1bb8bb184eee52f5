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

export interface KeyRef {
  key: string;
  /** Dense, per process, in order of first use. */
  id: number;
}

interface KeyNode {
  ref: KeyRef | undefined;
  next: Map<string, KeyNode> | undefined;
}
const keys = new Map<string, KeyNode>();
let keyCount = 0;

/**
 * The counter key of these parts, made once per process: a fold makes millions of keys from a
 * few thousand distinct ones, and a key seen before is neither joined nor hashed again; its
 * number lets an index find its counter by array index.
 */
export function keyRef(...parts: string[]): KeyRef {
  let level = keys;
  let node: KeyNode | undefined;
  for (let i = 0; i < parts.length; i++) {
    node = level.get(parts[i]!);
    if (node === undefined) {
      node = { ref: undefined, next: undefined };
      level.set(parts[i]!, node);
    }
    if (i + 1 < parts.length) level = node.next ??= new Map();
  }
  return (node!.ref ??= { key: parts.join(KEY_SEPARATOR), id: keyCount++ });
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
