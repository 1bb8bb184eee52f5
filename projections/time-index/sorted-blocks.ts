/**
 * Fact indexes kept sorted by (occurred, index), in blocks of a few hundred,
 * so a backdated fact moves at most one block instead of every fact after it.
 * One sorted array made each insertion O(n): on a long history of imported,
 * backdated records, every write paid for the whole log.
 *
 * Blocks are typed arrays. A bulk-built order (a rebuild's sort, a restored
 * checkpoint) is kept as it came, its blocks views of that one array; a block
 * gets room of its own only when a fact is first inserted into it. So a
 * million facts cost 4 MB, off the garbage-collected heap.
 *
 * Each block's starting rank is brought up to date lazily, on the next read by
 * rank: an insert stays O(log n + block) instead of touching every block after
 * it (thousands on a long history), and a run of writes pays for one pass.
 *
 * Each block's last fact (its occurrence and index) is also kept in two typed
 * arrays of their own, which the search for a fact's block reads instead of the
 * blocks: at ten million events that search went through some 15 blocks, each a
 * block object, its array and the occurrence column, most of them cache misses
 * under load (749 ms of a 7-s profile of batches on a 10M store; 141-181 ms now).
 */
const BLOCK = 512;

interface Block {
  items: Uint32Array;
  length: number;
}

export class SortedBlocks {
  private blocks: Block[] = [{ items: new Uint32Array(2 * BLOCK + 1), length: 0 }];
  /** Rank of each block's first element; valid below `staleFrom`. */
  private starts: number[] = [0];
  private staleFrom = Infinity;
  /** Block b's last fact: when it occurred, and its index (room beyond the blocks' count). Unset while empty. */
  private lastOccurred = new Float64Array(16);
  private lastIndex = new Uint32Array(16);
  length = 0;

  constructor(private readonly occurred: (index: number) => number) {}

  static from(sorted: ArrayLike<number>, occurred: (index: number) => number): SortedBlocks {
    const list = new SortedBlocks(occurred);
    const all = sorted instanceof Uint32Array ? sorted : Uint32Array.from(sorted);
    if (all.length === 0) return list;
    list.blocks = [];
    for (let i = 0; i < all.length; i += BLOCK) {
      const items = all.subarray(i, i + BLOCK);
      list.blocks.push({ items, length: items.length });
    }
    const room = 2 * list.blocks.length + 16;
    list.lastOccurred = new Float64Array(room);
    list.lastIndex = new Uint32Array(room);
    for (let b = 0; b < list.blocks.length; b++) list.noteLast(b);
    list.length = all.length;
    list.staleFrom = 0;
    list.reindex();
    return list;
  }

  toArray(): Uint32Array {
    const out = new Uint32Array(this.length);
    let k = 0;
    for (const block of this.blocks) {
      out.set(block.items.subarray(0, block.length), k);
      k += block.length;
    }
    return out;
  }

  /** The fact index at this rank. */
  at(rank: number): number {
    if (this.staleFrom < this.blocks.length) this.reindex();
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= rank) lo = mid;
      else hi = mid - 1;
    }
    return this.blocks[lo]!.items[rank - this.starts[lo]!]!;
  }

  last(): number | undefined {
    const block = this.blocks[this.blocks.length - 1]!;
    return block.length > 0 ? block.items[block.length - 1] : undefined;
  }

  /** Rank of the first fact that occurred at or after `time`. */
  lowerBound(time: number): number {
    return this.rankOfFirst(time, false);
  }

  /** Rank of the first fact that occurred after `time`. */
  upperBound(time: number): number {
    return this.rankOfFirst(time, true);
  }

  insert(index: number): void {
    const at = this.occurred(index);
    // The first block whose last fact sorts after the new one, by (occurred, index); else the last block.
    let b = 0;
    if (this.length > 0) {
      let hi = this.blocks.length - 1;
      while (b < hi) {
        const mid = (b + hi) >>> 1;
        const last = this.lastOccurred[mid]!;
        if (last > at || (last === at && this.lastIndex[mid]! > index)) hi = mid;
        else b = mid + 1;
      }
    }
    const block = this.blocks[b]!;
    let lo = 0;
    let top = block.length;
    while (lo < top) {
      const mid = (lo + top) >>> 1;
      const i = block.items[mid]!;
      const occurred = this.occurred(i);
      if (occurred > at || (occurred === at && i > index)) top = mid;
      else lo = mid + 1;
    }
    if (block.items.length === block.length) {
      // A view of a bulk-built order, or full: room of its own, for this insert and those that follow.
      const roomy = new Uint32Array(2 * BLOCK + 1);
      roomy.set(block.items.subarray(0, block.length));
      block.items = roomy;
    }
    block.items.copyWithin(lo + 1, lo, block.length);
    block.items[lo] = index;
    block.length++;
    this.length++;
    if (lo === block.length - 1) {
      this.lastOccurred[b] = at;
      this.lastIndex[b] = index;
    }
    if (block.length === 2 * BLOCK + 1) {
      const halves: Block[] = [block.items.slice(0, BLOCK), block.items.slice(BLOCK, block.length)].map((items) => ({
        items,
        length: items.length,
      }));
      this.blocks.splice(b, 1, ...halves);
      // The second half keeps the block's last fact; the first half's is its own.
      this.makeRoomForLast(b + 1);
      this.noteLast(b);
      // The first half starts where the block did; the second half's start is worked out on the next read.
      this.starts.splice(b + 1, 0, 0);
      this.staleFrom = Math.min(this.staleFrom, b + 1);
    } else this.staleFrom = Math.min(this.staleFrom, b + 1);
  }

  /** Block b's last fact, from the block. */
  private noteLast(b: number): void {
    const block = this.blocks[b]!;
    const last = block.items[block.length - 1]!;
    this.lastOccurred[b] = this.occurred(last);
    this.lastIndex[b] = last;
  }

  /** Moves the last facts of the blocks from `b` on one place up, the blocks having just done so (a split at b - 1). */
  private makeRoomForLast(b: number): void {
    const count = this.blocks.length; // after the split
    if (count > this.lastOccurred.length) {
      const occurred = new Float64Array(2 * count);
      occurred.set(this.lastOccurred);
      this.lastOccurred = occurred;
      const index = new Uint32Array(2 * count);
      index.set(this.lastIndex);
      this.lastIndex = index;
    }
    this.lastOccurred.copyWithin(b, b - 1, count - 1);
    this.lastIndex.copyWithin(b, b - 1, count - 1);
  }

  /** Brings the starting ranks up to date from the first block whose start moved. */
  private reindex(): void {
    const from = Math.min(this.staleFrom, this.blocks.length);
    this.starts.length = this.blocks.length;
    if (from === 0) this.starts[0] = 0;
    for (let s = Math.max(from, 1); s < this.blocks.length; s++)
      this.starts[s] = this.starts[s - 1]! + this.blocks[s - 1]!.length;
    this.staleFrom = Infinity;
  }

  /** Rank of the first fact that occurred after `time` (`strictly`), or at or after it. */
  private rankOfFirst(time: number, strictly: boolean): number {
    if (this.length === 0) return 0;
    if (this.staleFrom < this.blocks.length) this.reindex();
    let b = 0;
    let hi = this.blocks.length;
    while (b < hi) {
      const mid = (b + hi) >>> 1;
      const last = this.lastOccurred[mid]!;
      if (strictly ? last > time : last >= time) hi = mid;
      else b = mid + 1;
    }
    if (b === this.blocks.length) return this.length;
    const block = this.blocks[b]!;
    let lo = 0;
    let top = block.length;
    while (lo < top) {
      const mid = (lo + top) >>> 1;
      const occurred = this.occurred(block.items[mid]!);
      if (strictly ? occurred > time : occurred >= time) top = mid;
      else lo = mid + 1;
    }
    return this.starts[b]! + lo;
  }
}
