/**
 * The facts of each full block in recording order (facts [b·size, (b+1)·size)), ordered by
 * occurrence: each fact's offset in its block, 2 bytes a fact.
 *
 * With them, the facts of a block that occurred by T are a prefix of its order, and those that
 * occurred after T the rest: one binary search finds the split, and a query visits only the facts
 * it counts. Without them, "recorded after K and occurred by T" meant passing over every fact
 * recorded after K (or every fact that occurred after T) to find the few that count: most of the
 * log for a query in the middle of both, as an auditor's asOf/knownAt often is.
 */
import { SmallIntColumn, uint16s } from './column.js';

/** Offsets are 16-bit. */
export const LARGEST_BLOCK = 1 << 16;

export class BlockOrders {
  private offsets: SmallIntColumn<Uint16Array> = new SmallIntColumn(uint16s);

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1 || size > LARGEST_BLOCK)
      throw new RangeError(`a block holds 1 to ${LARGEST_BLOCK} facts, not ${size}`);
  }

  /** How many blocks are ordered: the full ones. */
  get count(): number {
    return this.offsets.length / this.size;
  }

  /** Orders the next full block by (occurrence, recording order); its facts must all be there. */
  orderNext(occurred: (fact: number) => number): void {
    const start = this.count * this.size;
    const times = new Float64Array(this.size);
    const order = new Uint16Array(this.size);
    for (let k = 0; k < this.size; k++) {
      times[k] = occurred(start + k);
      order[k] = k;
    }
    order.sort((a, b) => times[a]! - times[b]! || a - b);
    for (let k = 0; k < this.size; k++) this.offsets.push(order[k]!);
  }

  /**
   * Every full block of `facts` ordered at once, from the order of all of them by (occurrence,
   * recording order): one pass, since each block's order is that order's restriction to it.
   */
  static fromOrder(size: number, order: Uint32Array, facts: number): BlockOrders {
    const orders = new BlockOrders(size);
    const full = Math.floor(facts / size);
    const offsets = new Uint16Array(full * size);
    const filled = new Uint32Array(full);
    for (const fact of order) {
      const block = Math.floor(fact / size);
      if (block < full) {
        offsets[block * size + filled[block]!] = fact - block * size;
        filled[block]!++;
      }
    }
    orders.offsets = SmallIntColumn.restore(uint16s, offsets);
    return orders;
  }

  /** How many facts of block `block` occurred at or before `time`. */
  countBy(block: number, time: number, occurred: (fact: number) => number): number {
    const start = block * this.size;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (occurred(start + this.offsets.at(start + mid)) <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The fact at `rank` in block `block`'s order. */
  fact(block: number, rank: number): number {
    const start = block * this.size;
    return start + this.offsets.at(start + rank);
  }

  export(): Uint16Array {
    return this.offsets.export();
  }

  static from(size: number, offsets: Uint16Array): BlockOrders {
    const orders = new BlockOrders(size);
    if (offsets.length % size !== 0)
      throw new Error(`block orders of ${offsets.length} offsets are not whole blocks of ${size}`);
    orders.offsets = SmallIntColumn.restore(uint16s, offsets);
    return orders;
  }
}
