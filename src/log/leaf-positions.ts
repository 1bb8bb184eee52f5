/**
 * The log's leaf index → global position. On the embedded store each event's position follows on
 * from the one before, so the positions are kept as runs (a run's first leaf and its position): ten
 * million leaves are one run, where a position a leaf took 80 MB (100 MB with room to grow) for as
 * long as the service ran. Where most leaves would start a run of their own (EventStoreDB's commit
 * positions are byte offsets), a run costs twice what a position does, so the column keeps each
 * position instead from then on.
 */

/** A column as plain data, its buffers movable to another thread (tree-worker.ts). */
export interface LeafPositionsParts {
  count: number;
  /** Runs: `runLeaf[r]` is run r's first leaf, `runPosition[r]` that leaf's position. */
  runs: number;
  runLeaf: Float64Array<ArrayBuffer>;
  runPosition: Float64Array<ArrayBuffer>;
  /** Each leaf's position, once runs stopped paying; absent while they do. */
  each?: Float64Array<ArrayBuffer>;
}

/** Runs pay while they are fewer than half the leaves; this many runs are kept before that is judged. */
const RUNS_BEFORE_JUDGING = 1024;

export class LeafPositions {
  private size = 0;
  private runs = 0;
  private runLeaf = new Float64Array(16);
  private runPosition = new Float64Array(16);
  private each: Float64Array<ArrayBuffer> | undefined;

  /** How many leaves have a position. */
  get count(): number {
    return this.size;
  }

  /** The last leaf's position; 0 before the first. */
  get last(): number {
    if (this.size === 0) return 0;
    if (this.each) return this.each[this.size - 1]!;
    const r = this.runs - 1;
    return this.runPosition[r]! + (this.size - 1 - this.runLeaf[r]!);
  }

  /** Appends the next leaf's position (positions only grow). */
  push(position: number): void {
    if (this.each) {
      if (this.size === this.each.length) this.each = grown(this.each, this.size * 2);
      this.each[this.size++] = position;
      return;
    }
    if (this.size > 0 && position === this.last + 1) {
      this.size++;
      return;
    }
    if (this.runs === this.runLeaf.length) {
      this.runLeaf = grown(this.runLeaf, this.runs * 2);
      this.runPosition = grown(this.runPosition, this.runs * 2);
    }
    this.runLeaf[this.runs] = this.size;
    this.runPosition[this.runs++] = position;
    this.size++;
    if (this.runs >= RUNS_BEFORE_JUDGING && this.runs * 2 > this.size) this.keepEach();
  }

  /** The position of leaf `leaf` (0 ≤ leaf < count). */
  at(leaf: number): number {
    if (leaf < 0 || leaf >= this.size) throw new RangeError(`leaf ${leaf} is not in 0..${this.size - 1}`);
    if (this.each) return this.each[leaf]!;
    const r = this.runOfLeaf(leaf);
    return this.runPosition[r]! + (leaf - this.runLeaf[r]!);
  }

  /** How many leaves have a position ≤ `position`. */
  countUpTo(position: number): number {
    if (this.each) return countAtMost(this.each, this.size, position);
    // The last run starting at or before `position`: its leaves up to `position` count, and every run before it.
    const r = countAtMost(this.runPosition, this.runs, position) - 1;
    if (r < 0) return 0;
    const runEnd = r + 1 < this.runs ? this.runLeaf[r + 1]! : this.size;
    return Math.min(this.runLeaf[r]! + (position - this.runPosition[r]!) + 1, runEnd);
  }

  /** The leaf whose position is `position`, or -1. */
  indexOf(position: number): number {
    const n = this.countUpTo(position);
    return n > 0 && this.at(n - 1) === position ? n - 1 : -1;
  }

  /** Leaves [from, to)'s positions. */
  slice(from: number, to = this.size): number[] {
    const out: number[] = [];
    for (let leaf = Math.max(0, from); leaf < Math.min(to, this.size); leaf++) out.push(this.at(leaf));
    return out;
  }

  /** Drops the leaves from `size` on (a write group rolled back). */
  truncate(size: number): void {
    if (size >= this.size) return;
    this.size = Math.max(0, size);
    if (!this.each) this.runs = this.size === 0 ? 0 : this.runOfLeaf(this.size - 1) + 1;
  }

  /** Every position in order, `piece` at a time, for writing out: no array of them all is made (each piece is overwritten by the next). */
  *pieces(piece = 65_536): Generator<Float64Array> {
    const out = new Float64Array(Math.min(piece, Math.max(this.size, 1)));
    for (let from = 0; from < this.size; from += out.length) {
      const n = Math.min(out.length, this.size - from);
      for (let i = 0; i < n; i++) out[i] = this.at(from + i);
      yield out.subarray(0, n);
    }
  }

  /** The column of `positions` (a saved tree's, one a leaf). */
  static from(positions: ArrayLike<number>): LeafPositions {
    const column = new LeafPositions();
    for (let i = 0; i < positions.length; i++) column.push(positions[i]!);
    return column;
  }

  /** The column as plain data, for moving to another thread; this column is not to be used after. */
  release(): LeafPositionsParts {
    return {
      count: this.size,
      runs: this.runs,
      runLeaf: this.runLeaf,
      runPosition: this.runPosition,
      ...(this.each ? { each: this.each } : {}),
    };
  }

  /** A column over parts released by another (`release`), taken over, not copied. */
  static adopt(parts: LeafPositionsParts): LeafPositions {
    const column = new LeafPositions();
    column.size = parts.count;
    column.runs = parts.runs;
    column.runLeaf = parts.runLeaf.length > 0 ? parts.runLeaf : new Float64Array(16);
    column.runPosition = parts.runPosition.length > 0 ? parts.runPosition : new Float64Array(16);
    if (parts.each) column.each = parts.each;
    if (column.runLeaf.length !== column.runPosition.length || column.runs > column.runLeaf.length)
      throw new RangeError('the runs given are not one column');
    if (parts.each ? parts.each.length < parts.count : parts.count > 0 && parts.runs === 0)
      throw new RangeError(`${parts.count} positions and none given for them`);
    return column;
  }

  /** The buffers of `parts`, for a message that moves them. */
  static buffers(parts: LeafPositionsParts): ArrayBuffer[] {
    return [parts.runLeaf.buffer, parts.runPosition.buffer, ...(parts.each ? [parts.each.buffer] : [])];
  }

  private runOfLeaf(leaf: number): number {
    return countAtMost(this.runLeaf, this.runs, leaf) - 1;
  }

  /** From runs to a position a leaf: the runs are about as many as the leaves. */
  private keepEach(): void {
    const each = new Float64Array(Math.max(1024, this.size * 2));
    for (let leaf = 0; leaf < this.size; leaf++) each[leaf] = this.at(leaf);
    this.each = each;
    this.runs = 0;
    this.runLeaf = new Float64Array(0);
    this.runPosition = new Float64Array(0);
  }
}

/** How many of the first `count` values (ascending) are ≤ `value`: a binary search. */
function countAtMost(values: Float64Array, count: number, value: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function grown(from: Float64Array<ArrayBuffer>, length: number): Float64Array<ArrayBuffer> {
  const to = new Float64Array(Math.max(length, 16));
  to.set(from.subarray(0, Math.min(from.length, to.length)));
  return to;
}
