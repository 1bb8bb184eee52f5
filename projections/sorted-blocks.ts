/**
 * Fact indexes kept sorted by (occurred, index), in blocks of a few hundred,
 * so a backdated fact moves at most one block instead of every fact after it.
 * One sorted array made each insertion O(n): on a long history of imported,
 * backdated records, every write paid for the whole log.
 */
const BLOCK = 512;

export class SortedBlocks {
  private blocks: number[][] = [[]];
  /** Rank of each block's first element. */
  private starts: number[] = [0];
  length = 0;

  constructor(private readonly occurred: (index: number) => number) {}

  static from(sorted: ArrayLike<number>, occurred: (index: number) => number): SortedBlocks {
    const list = new SortedBlocks(occurred);
    list.blocks = [];
    for (let i = 0; i < sorted.length; i += BLOCK)
      list.blocks.push(Array.from({ length: Math.min(BLOCK, sorted.length - i) }, (_, j) => sorted[i + j]!));
    if (list.blocks.length === 0) list.blocks.push([]);
    list.length = sorted.length;
    list.reindex();
    return list;
  }

  toArray(): Uint32Array {
    const out = new Uint32Array(this.length);
    let k = 0;
    for (const block of this.blocks) for (const i of block) out[k++] = i;
    return out;
  }

  /** The fact index at this rank. */
  at(rank: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= rank) lo = mid;
      else hi = mid - 1;
    }
    return this.blocks[lo]![rank - this.starts[lo]!]!;
  }

  last(): number | undefined {
    const block = this.blocks[this.blocks.length - 1]!;
    return block[block.length - 1];
  }

  /** Rank of the first fact that occurred at or after `time`. */
  lowerBound(time: number): number {
    return this.rankWhere((i) => this.occurred(i) >= time);
  }

  /** Rank of the first fact that occurred after `time`. */
  upperBound(time: number): number {
    return this.rankWhere((i) => this.occurred(i) > time);
  }

  insert(index: number): void {
    const after = (i: number) => {
      const a = this.occurred(i);
      const b = this.occurred(index);
      return a > b || (a === b && i > index);
    };
    // The first block whose last fact sorts after the new one; else the last block.
    let b = 0;
    let hi = this.blocks.length - 1;
    while (b < hi) {
      const mid = (b + hi) >>> 1;
      const block = this.blocks[mid]!;
      if (block.length > 0 && after(block[block.length - 1]!)) hi = mid;
      else b = mid + 1;
    }
    const block = this.blocks[b]!;
    let lo = 0;
    let top = block.length;
    while (lo < top) {
      const mid = (lo + top) >>> 1;
      if (after(block[mid]!)) top = mid;
      else lo = mid + 1;
    }
    block.splice(lo, 0, index);
    this.length++;
    if (block.length > 2 * BLOCK) {
      this.blocks.splice(b, 1, block.slice(0, BLOCK), block.slice(BLOCK));
      this.reindex();
    } else for (let s = b + 1; s < this.starts.length; s++) this.starts[s]!++;
  }

  private reindex(): void {
    this.starts = [];
    let rank = 0;
    for (const block of this.blocks) {
      this.starts.push(rank);
      rank += block.length;
    }
  }

  /** Rank of the first fact for which `test` holds; `test` must be false, then true, along the order. */
  private rankWhere(test: (index: number) => boolean): number {
    let b = 0;
    let hi = this.blocks.length;
    while (b < hi) {
      const mid = (b + hi) >>> 1;
      const block = this.blocks[mid]!;
      if (block.length > 0 && test(block[block.length - 1]!)) hi = mid;
      else b = mid + 1;
    }
    if (b === this.blocks.length) return this.length;
    const block = this.blocks[b]!;
    let lo = 0;
    let top = block.length;
    while (lo < top) {
      const mid = (lo + top) >>> 1;
      if (test(block[mid]!)) top = mid;
      else lo = mid + 1;
    }
    return this.starts[b]! + lo;
  }
}
