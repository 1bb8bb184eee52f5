/**
 * Sums of facts by business time, for "as of T": a Fenwick (binary indexed) tree over buckets of
 * occurrence. Bucket s holds the facts that occurred in [boundary s-1, boundary s); node s of the
 * tree holds, per key, the sum of buckets (s - lowbit(s), s]. So:
 * - the sums of everything that occurred before boundary s are the sum of at most log₂ B nodes;
 * - a backdated fact is added to at most log₂ B nodes, however far back it occurred.
 * Full snapshots per boundary cost O(boundaries after it) per backdated fact instead, which grew
 * with the history (21 µs an event at a million, and far more for a key a snapshot lacked).
 *
 * Nodes are sparse (a key is in a node only if its facts there do not cancel out), sorted by key
 * id, in typed arrays: off the heap, and a checkpoint stores them as they are.
 */

/** One node: per key id (ascending), the summed value and count of inexact deltas. */
export interface KeySums {
  keys: Int32Array;
  values: Float64Array;
  inexact: Int32Array;
}

interface Node extends KeySums {
  length: number;
}

/** BusinessSums as plain data: what a checkpoint stores. */
export interface BusinessSumsExport {
  boundaries: Float64Array;
  nodes: KeySums[];
}

const lowbit = (i: number) => i & -i;

export class BusinessSums {
  /** boundaries[s - 1] is boundary s, ascending. */
  private boundaries: number[] = [];
  /** nodes[s - 1] is node s. */
  private nodes: Node[] = [];

  get count(): number {
    return this.boundaries.length;
  }

  /** The last boundary, or -Infinity before the first. */
  get lastBoundary(): number {
    return this.boundaries.length > 0 ? this.boundaries[this.boundaries.length - 1]! : -Infinity;
  }

  boundary(s: number): number {
    return this.boundaries[s - 1]!;
  }

  /** How many boundaries are at or before `time`: the prefix of buckets wholly at or before it. */
  boundariesAtOrBefore(time: number): number {
    let lo = 0;
    let hi = this.boundaries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.boundaries[mid]! <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The bucket of a fact that occurred at `occurred`: 1-based; count + 1 for one after the last boundary. */
  bucketOf(occurred: number): number {
    return this.boundariesAtOrBefore(occurred) + 1;
  }

  /** Adds one delta of a fact in `bucket` (≤ count) to every node covering that bucket: log₂ B of them. */
  addDelta(bucket: number, key: number, value: number, inexact: number): void {
    for (let s = bucket; s <= this.boundaries.length; s += lowbit(s)) addTo(this.nodes[s - 1]!, key, value, inexact);
  }

  /**
   * Closes the next bucket at `boundary`: `bucket` holds the sums of its facts (everything that
   * occurred in [the last boundary, boundary)); node B+1 adds to them the nodes below it.
   * Leaves `bucket` empty.
   */
  push(boundary: number, bucket: DenseSums): void {
    const s = this.boundaries.length + 1;
    for (let child = s - 1; child > s - lowbit(s); child -= lowbit(child)) bucket.addSums(this.nodes[child - 1]!);
    const sums = bucket.take();
    this.boundaries.push(boundary);
    this.nodes.push({ ...sums, length: sums.keys.length });
  }

  /** Adds to `into` the sums of everything that occurred before boundary s (s = 0: nothing). */
  prefixInto(s: number, into: DenseSums): void {
    for (let i = s; i > 0; i &= i - 1) into.addSums(this.nodes[i - 1]!);
  }

  export(): BusinessSumsExport {
    return {
      boundaries: Float64Array.from(this.boundaries),
      nodes: this.nodes.map((node) => ({
        keys: node.keys.slice(0, node.length),
        values: node.values.slice(0, node.length),
        inexact: node.inexact.slice(0, node.length),
      })),
    };
  }

  static from(data: BusinessSumsExport): BusinessSums {
    const sums = new BusinessSums();
    sums.boundaries = Array.from(data.boundaries);
    sums.nodes = data.nodes.map((node) => ({ ...node, length: node.keys.length }));
    return sums;
  }
}

/** Adds to a node's key in place; a key the node lacks is inserted in order (the arrays grow by half). */
function addTo(node: Node, key: number, value: number, inexact: number): void {
  let lo = 0;
  let hi = node.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (node.keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  if (lo < node.length && node.keys[lo] === key) {
    node.values[lo] = node.values[lo]! + value;
    node.inexact[lo] = node.inexact[lo]! + inexact;
    return;
  }
  if (node.length === node.keys.length) {
    const capacity = Math.max(4, node.length + (node.length >>> 1));
    node.keys = grown(node.keys, new Int32Array(capacity));
    node.values = grown(node.values, new Float64Array(capacity));
    node.inexact = grown(node.inexact, new Int32Array(capacity));
  }
  node.keys.copyWithin(lo + 1, lo, node.length);
  node.values.copyWithin(lo + 1, lo, node.length);
  node.inexact.copyWithin(lo + 1, lo, node.length);
  node.keys[lo] = key;
  node.values[lo] = value;
  node.inexact[lo] = inexact;
  node.length++;
}

function grown<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

/**
 * A scratch sum over every key id, dense, with the list of keys touched: adding is an array
 * index, and taking the result visits the touched keys alone. One per index, reused.
 */
export class DenseSums {
  private values = new Float64Array(0);
  private inexact = new Int32Array(0);
  private seen = new Uint8Array(0);
  private touched = new Int32Array(0);
  private touchedCount = 0;

  add(key: number, value: number, inexact: number): void {
    if (key >= this.seen.length) this.grow(key + 1);
    if (this.seen[key] === 0) {
      this.seen[key] = 1;
      this.touched[this.touchedCount++] = key;
    }
    this.values[key] = this.values[key]! + value;
    this.inexact[key] = this.inexact[key]! + inexact;
  }

  addSums(sums: KeySums & { length?: number }): void {
    const length = sums.length ?? sums.keys.length;
    for (let j = 0; j < length; j++) this.add(sums.keys[j]!, sums.values[j]!, sums.inexact[j]!);
  }

  /** The touched keys whose sums are not zero, ascending; leaves the scratch empty. */
  take(): KeySums {
    const keys = this.touched.subarray(0, this.touchedCount).sort();
    let live = 0;
    for (let j = 0; j < keys.length; j++) if (this.values[keys[j]!] !== 0 || this.inexact[keys[j]!] !== 0) live++;
    const out: KeySums = { keys: new Int32Array(live), values: new Float64Array(live), inexact: new Int32Array(live) };
    for (let j = 0, at = 0; j < keys.length; j++) {
      const key = keys[j]!;
      if (this.values[key] !== 0 || this.inexact[key] !== 0) {
        out.keys[at] = key;
        out.values[at] = this.values[key]!;
        out.inexact[at++] = this.inexact[key]!;
      }
    }
    this.clear();
    return out;
  }

  /** Calls `each` for every touched key whose sum is not zero (in no particular order); leaves the scratch empty. */
  drain(each: (key: number, value: number, inexact: number) => void): void {
    for (let j = 0; j < this.touchedCount; j++) {
      const key = this.touched[j]!;
      if (this.values[key] !== 0 || this.inexact[key] !== 0) each(key, this.values[key]!, this.inexact[key]!);
    }
    this.clear();
  }

  private clear(): void {
    for (let j = 0; j < this.touchedCount; j++) {
      const key = this.touched[j]!;
      this.values[key] = 0;
      this.inexact[key] = 0;
      this.seen[key] = 0;
    }
    this.touchedCount = 0;
  }

  private grow(size: number): void {
    const capacity = Math.max(size, this.seen.length * 2, 64);
    this.values = grown(this.values, new Float64Array(capacity));
    this.inexact = grown(this.inexact, new Int32Array(capacity));
    const seen = new Uint8Array(capacity);
    seen.set(this.seen);
    this.seen = seen;
    this.touched = grown(this.touched, new Int32Array(capacity));
  }
}
