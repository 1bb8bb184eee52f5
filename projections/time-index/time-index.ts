/**
 * Answers "what did these counters say as of T, as known at K" without
 * replaying the log.
 *
 * Every event leaves a fact: its deltas, stamped with when it occurred
 * (business time) and its global position (which orders recording time). A
 * reversal leaves the negated deltas of the event it reverses, stamped with
 * that event's occurrence and the reversal's own position: so the reversal
 * counts for every asOf, but only for a knownAt after it was recorded.
 *
 * The answer for (T, P) is the sum of the facts with occurred ≤ T and
 * position ≤ P. Sums commute, so any snapshot can be corrected by adding or
 * subtracting a few facts. Two kinds of snapshots bound the work:
 * - by position (every SNAPSHOT_EVERY facts in recording order): never
 *   invalidated, since positions only grow;
 * - by business time (boundaries in occurredAt, a bucket every SNAPSHOT_EVERY
 *   facts): kept as a Fenwick tree of bucket sums (see business-sums.ts), so a
 *   backdated fact costs log₂(buckets), not one update per boundary after it,
 *   and a snapshot at a boundary is the sum of log₂(buckets) sparse nodes.
 * Since nothing is recorded before it occurs (allowing for the clock skew
 * decide() accepts), a query is a snapshot plus the facts in a window of
 * business time or recorded after K. When both bounds fall inside a long
 * history that window can be most of the log, so each block of SNAPSHOT_EVERY
 * facts in recording order also keeps its facts ordered by occurrence (see
 * block-orders.ts): a query then visits only the facts on the far side of
 * both bounds. `query` takes whichever way visits fewest facts.
 */
import type { Counters, Delta } from '../../events/counters.js';
import {
  Column,
  columnData,
  float64s,
  holdsDoubles,
  int32s,
  int8s,
  lengthOf,
  PositionColumn,
  QuantityColumn,
  SmallIntColumn,
  uint32s,
  type ColumnData,
  type TypedArray,
} from './column.js';
import { BusinessSums, DenseSums, type BusinessSumsExport } from './business-sums.js';
import { SortedBlocks } from './sorted-blocks.js';
import { BlockOrders } from './block-orders.js';

export const SNAPSHOT_EVERY = 4096;
/** Facts recorded more than this after they occurred are "late" and kept in a list of their own. */
export const LATE_AFTER_MS = 24 * 60 * 60 * 1000;
/** decide() accepts events up to 5 minutes ahead of the server's clock. */
const SKEW_MS = 5 * 60 * 1000;

interface Snapshot {
  /** Facts [0, factCount) in recording order. */
  factCount: number;
  keys: Int32Array;
  values: Float64Array;
  inexact: Int32Array;
}

type Sparse = Map<number, { value: number; inexact: number }>;

/**
 * A TimeIndex as plain data (typed arrays, maps): what a checkpoint stores, and what another
 * thread's index hands over to be merged. Each column is one array, or its chunks in order.
 */
export interface TimeIndexExport {
  /** 3: each position block's facts ordered by occurrence (2: without; 1: a full snapshot per business-time boundary). */
  version: 3;
  snapshotEvery: number;
  lateAfterMs: number;
  keyNames: string[];
  occurred: ColumnData<Float64Array>;
  position: ColumnData<Uint32Array | Float64Array | Int32Array>;
  deltaStart: ColumnData<Uint32Array>;
  deltaKey: ColumnData<Int32Array>;
  deltaValue: ColumnData<Int32Array | Uint32Array | Float64Array>;
  deltaInexact: ColumnData<Int8Array>;
  byOccurrence: Uint32Array;
  blockOrders: Uint16Array;
  late: ColumnData<Uint32Array>;
  early: ColumnData<Uint32Array>;
  positionSnapshots: Snapshot[];
  business: BusinessSumsExport;
  current: [number, { value: number; inexact: number }][];
  tailCount: number;
}

/**
 * The ways over the blocks to "recorded by K and occurred by T" (see `blockPlan`), named by the
 * facts each visits: blocks below K or above it, the facts that occurred by T or after it.
 * - below-by: the facts below that occurred by T, summed from nothing;
 * - below-after: the position snapshot at the top of the blocks below, less their facts after T;
 * - above-by: everything that occurred by T, less the facts above that occurred by T;
 * - above-after: everything by T, plus the snapshot, less the running totals, plus the facts above after T.
 */
export type BlockRoute = 'below-by' | 'below-after' | 'above-by' | 'above-after';

/** The ways `query` takes to an answer (see there), the blocks' among them. */
export type QueryWay =
  'nothing' | 'as-of' | 'known-at' | 'known-less-window' | 'as-of-less-late' | 'as-of-less-recorded-after' | BlockRoute;

export interface IndexedFact {
  occurred: number;
  position: number;
  recorded: number;
  deltas: readonly Delta[];
}

export interface TimeIndexOptions {
  snapshotEvery?: number;
  lateAfterMs?: number;
}

export class TimeIndex {
  private readonly snapshotEvery: number;
  private readonly lateAfterMs: number;
  /**
   * Key id by name, for the facts still to come; after a restore it is made on first need (or by
   * `prepareForWrites`): a million names at 10M events took a restart a second to hash.
   */
  private keyIdsByName: Map<string, number> | undefined = new Map();
  /** The key ids by name while `prepareForWrites` makes them a part at a time: the names before `next`. */
  private keyIdsBuilt: { byName: Map<string, number>; next: number } | undefined;
  /** Local key id by the key's process-wide number (Delta.id): an array index instead of a string lookup. */
  private readonly localIds: number[] = [];
  private keyNames: string[] = [];
  // Facts in recording order, columnar, in typed arrays: off the heap, and a checkpoint restores them as they are.
  private occurred: Column<Float64Array> = new Column(float64s);
  private position = new PositionColumn();
  private deltaStart: Column<Uint32Array> = new Column(uint32s);
  private deltaKey: Column<Int32Array> = new Column(int32s);
  private deltaValue = new QuantityColumn();
  private deltaInexact: SmallIntColumn<Int8Array> = new SmallIntColumn(int8s);
  /** Fact indexes sorted by (occurred, position). */
  /** A fact's occurrence, for the order: made once, so that it closes over nothing but the index. */
  private readonly occurrenceOf = (i: number) => this.occurred.at(i);
  private byOccurrence = new SortedBlocks(this.occurrenceOf);
  /** Each full block of snapshotEvery facts in recording order, ordered by occurrence (see block-orders.ts). */
  private blockOrders: BlockOrders;
  /** Scratch: how many facts of each block occurred by a query's asOf. */
  private splits = new Uint32Array(0);
  /** Facts recorded long after they occurred, and facts dated (slightly) after their recording. */
  private late: Column<Uint32Array> = new Column(uint32s);
  private early: Column<Uint32Array> = new Column(uint32s);
  private readonly positionSnapshots: Snapshot[] = [];
  /** Sums of the facts that occurred before each business-time boundary. */
  private business = new BusinessSums();
  /** Scratch sums by key id, for cutting a bucket and answering a query. */
  private readonly scratch = new DenseSums();
  /** Running totals, for the next position snapshot and for "now". */
  private readonly current: Sparse = new Map();
  /** Facts that occurred at or after the last business-time boundary (in no bucket yet). */
  private tailCount = 0;
  /** The way the last `query` took: for tests and benches, which check that a query took the cheap one. */
  lastWay: QueryWay = 'nothing';
  /** While true, `add` only records facts; `endBulk` orders them and cuts every snapshot at once. */
  private bulk = false;

  constructor(options: TimeIndexOptions = {}) {
    this.snapshotEvery = options.snapshotEvery ?? SNAPSHOT_EVERY;
    this.lateAfterMs = options.lateAfterMs ?? LATE_AFTER_MS;
    this.blockOrders = new BlockOrders(this.snapshotEvery);
  }

  /**
   * The index as plain data: each column copied into one array, or (`asParts`, for a checkpoint
   * written out at once) its own chunks, views that later facts do not change.
   */
  export(asParts = false): TimeIndexExport {
    const data = <T extends TypedArray>(column: Column<T>) => columnData(column, asParts);
    return {
      version: 3,
      snapshotEvery: this.snapshotEvery,
      lateAfterMs: this.lateAfterMs,
      keyNames: [...this.keyNames],
      occurred: data(this.occurred),
      position: data(this.position),
      deltaStart: data(this.deltaStart),
      deltaKey: data(this.deltaKey),
      deltaValue: data(this.deltaValue),
      deltaInexact: data(this.deltaInexact),
      byOccurrence: this.byOccurrence.toArray(),
      blockOrders: this.blockOrders.export(),
      late: data(this.late),
      early: data(this.early),
      positionSnapshots: this.positionSnapshots,
      business: this.business.export(),
      current: [...this.current].map(([k, c]) => [k, { ...c }]),
      tailCount: this.tailCount,
    };
  }

  /** Takes `data` over (a restored checkpoint's own copy): its arrays become the index's, and change with it. */
  static from(data: TimeIndexExport): TimeIndex {
    const index = new TimeIndex({ snapshotEvery: data.snapshotEvery, lateAfterMs: data.lateAfterMs });
    index.keyNames = data.keyNames;
    index.keyIdsByName = undefined;
    index.occurred = Column.of(float64s, data.occurred);
    index.position = PositionColumn.restore(data.position);
    index.deltaStart = Column.of(uint32s, data.deltaStart);
    index.byOccurrence = SortedBlocks.from(data.byOccurrence, index.occurrenceOf);
    index.blockOrders = BlockOrders.from(data.snapshotEvery, data.blockOrders);
    index.late = Column.of(uint32s, data.late);
    index.early = Column.of(uint32s, data.early);
    index.deltaKey = Column.of(int32s, data.deltaKey);
    index.deltaValue = QuantityColumn.restore(data.deltaValue);
    index.deltaInexact = SmallIntColumn.restore(int8s, data.deltaInexact);
    index.positionSnapshots.push(...data.positionSnapshots);
    index.business = BusinessSums.from(data.business);
    // A checkpoint written before zeros left the running totals may still hold some.
    for (const [k, c] of data.current) if (c.value !== 0 || c.inexact !== 0) index.current.set(k, c);
    index.tailCount = data.tailCount;
    return index;
  }

  get size(): number {
    return this.occurred.length;
  }

  add(fact: IndexedFact): void {
    if (fact.deltas.length === 0) return;
    const index = this.occurred.length;
    this.occurred.push(fact.occurred);
    this.position.push(fact.position);
    this.deltaStart.push(this.deltaKey.length);
    for (const delta of fact.deltas) {
      this.deltaKey.push(this.idOf(delta));
      this.deltaValue.push(delta.value);
      this.deltaInexact.push(delta.inexact);
    }
    if (fact.recorded - fact.occurred > this.lateAfterMs) this.late.push(index);
    if (fact.occurred > fact.recorded) this.early.push(index);
    if (this.bulk) return;
    this.insertByOccurrence(index);
    this.apply(this.current, index, 1);
    if (fact.occurred < this.business.lastBoundary) {
      // Backdated before the last boundary: into its bucket's log₂(buckets) tree nodes.
      const bucket = this.business.bucketOf(fact.occurred);
      const end = this.deltaKey.length;
      for (let d = this.deltaStart.at(index); d < end; d++)
        this.business.addDelta(bucket, this.deltaKey.at(d), this.deltaValue.at(d), this.deltaInexact.at(d));
    } else this.tailCount++;
    if (this.size % this.snapshotEvery === 0) {
      this.positionSnapshots.push(this.freeze(this.current, this.size));
      this.blockOrders.orderNext(this.occurrenceOf);
    }
    if (this.tailCount >= this.snapshotEvery) this.cutOccurrenceSnapshot();
  }

  /** The running totals, named, as counters of their own. */
  currentCounters(): Counters {
    const counters: Counters = new Map();
    for (const [id, c] of this.current)
      if (c.value !== 0 || c.inexact !== 0) counters.set(this.keyNames[id]!, { value: c.value, inexact: c.inexact });
    return counters;
  }

  /**
   * For a long catch-up (a rebuild, a first start): facts are only recorded until `endBulk`, which
   * then sorts them once and cuts every snapshot in two linear passes, instead of keeping order and
   * snapshots up to date fact by fact. No query may run in between.
   */
  beginBulk(): void {
    this.bulk = true;
  }

  /**
   * Takes in the facts another index recorded in bulk over the same log (another thread's share of
   * its events, say), before `endBulk`: the two are merged by position, so the facts stand in
   * recording order as if one index had seen every event. Both must be in bulk.
   */
  mergeBulk(other: TimeIndexExport): void {
    if (!this.bulk) throw new Error('mergeBulk needs an index in bulk: call it between beginBulk and endBulk');
    if (other.positionSnapshots.length > 0 || other.byOccurrence.length > 0 || other.blockOrders.length > 0)
      throw new Error('mergeBulk takes the facts of an index still in bulk');
    if (lengthOf(other.occurred) === 0) return; // nothing to take in (no worker event had such deltas)
    const keyOf = Int32Array.from(other.keyNames, (name) => this.keyId(name));
    const theirs = {
      occurred: Column.of(float64s, other.occurred),
      position: PositionColumn.restore(other.position),
      deltaStart: Column.of(uint32s, other.deltaStart),
      deltaKey: Column.of(int32s, other.deltaKey),
      deltaValue: QuantityColumn.restore(other.deltaValue),
      deltaInexact: SmallIntColumn.restore(int8s, other.deltaInexact),
      late: Column.of(uint32s, other.late),
      early: Column.of(uint32s, other.early),
    };
    const mine = {
      occurred: this.occurred,
      position: this.position,
      deltaStart: this.deltaStart,
      deltaKey: this.deltaKey,
      deltaValue: this.deltaValue,
      deltaInexact: this.deltaInexact,
      late: this.late,
      early: this.early,
    };
    const [size, otherSize] = [mine.occurred.length, theirs.occurred.length];
    const facts = size + otherSize;
    const deltas = mine.deltaKey.length + theirs.deltaKey.length;
    // Every column made once at its final size: a long catch-up's columns are tens of MB, and
    // growing them again here would leave the allocator holding the discarded copies.
    const occurred = new Float64Array(facts);
    const position =
      mine.position.wide || holdsDoubles(other.position) ? new Float64Array(facts) : new Uint32Array(facts);
    const deltaStart = new Uint32Array(facts);
    const deltaKey = new Int32Array(deltas);
    const deltaValue =
      mine.deltaValue.wide || holdsDoubles(other.deltaValue) ? new Float64Array(deltas) : new Int32Array(deltas);
    const deltaInexact = new Int8Array(deltas);
    const late = new Uint32Array(mine.late.length + theirs.late.length);
    const early = new Uint32Array(mine.early.length + theirs.early.length);
    const mineEnd = (i: number) => (i + 1 < size ? mine.deltaStart.at(i + 1) : mine.deltaKey.length);
    const otherEnd = (j: number) => (j + 1 < otherSize ? theirs.deltaStart.at(j + 1) : theirs.deltaKey.length);
    let [i, j, d] = [0, 0, 0];
    let [lateAt, earlyAt, mineLate, mineEarly, otherLate, otherEarly] = [0, 0, 0, 0, 0, 0];
    for (let at = 0; at < facts; at++) {
      deltaStart[at] = d;
      if (j >= otherSize || (i < size && mine.position.at(i) < theirs.position.at(j))) {
        occurred[at] = mine.occurred.at(i);
        position[at] = mine.position.at(i);
        for (let k = mine.deltaStart.at(i); k < mineEnd(i); k++, d++) {
          deltaKey[d] = mine.deltaKey.at(k);
          deltaValue[d] = mine.deltaValue.at(k);
          deltaInexact[d] = mine.deltaInexact.at(k);
        }
        // The late and early lists are in fact order, as the merge is: each moves on with it.
        if (mineLate < mine.late.length && mine.late.at(mineLate) === i) {
          late[lateAt++] = at;
          mineLate++;
        }
        if (mineEarly < mine.early.length && mine.early.at(mineEarly) === i) {
          early[earlyAt++] = at;
          mineEarly++;
        }
        i++;
      } else {
        occurred[at] = theirs.occurred.at(j);
        position[at] = theirs.position.at(j);
        for (let k = theirs.deltaStart.at(j); k < otherEnd(j); k++, d++) {
          deltaKey[d] = keyOf[theirs.deltaKey.at(k)]!;
          deltaValue[d] = theirs.deltaValue.at(k);
          deltaInexact[d] = theirs.deltaInexact.at(k);
        }
        if (otherLate < theirs.late.length && theirs.late.at(otherLate) === j) {
          late[lateAt++] = at;
          otherLate++;
        }
        if (otherEarly < theirs.early.length && theirs.early.at(otherEarly) === j) {
          early[earlyAt++] = at;
          otherEarly++;
        }
        j++;
      }
    }
    this.occurred = Column.of(float64s, occurred);
    this.position = PositionColumn.restore(position);
    this.deltaStart = Column.of(uint32s, deltaStart);
    this.deltaKey = Column.of(int32s, deltaKey);
    this.deltaValue = QuantityColumn.restore(deltaValue);
    this.deltaInexact = SmallIntColumn.restore(int8s, deltaInexact);
    this.late = Column.of(uint32s, late);
    this.early = Column.of(uint32s, early);
  }

  endBulk(): void {
    if (!this.bulk) return;
    this.bulk = false;
    const size = this.size;
    const order = sortByOccurrence(this.occurred);
    this.byOccurrence = SortedBlocks.from(order, this.occurrenceOf);
    this.blockOrders = BlockOrders.fromOrder(this.snapshotEvery, order, size);
    // Dense running totals by key id: no map lookups on the hot path. The keys whose total is not
    // zero are kept in a list (and where each stands in it), so a snapshot visits those alone.
    const keys = this.keyNames.length;
    const values = new Float64Array(keys);
    const inexact = new Int32Array(keys);
    const liveKeys = new Int32Array(keys);
    const liveAt = new Int32Array(keys).fill(-1);
    let liveCount = 0;
    const add = (i: number) => {
      const end = i + 1 < size ? this.deltaStart.at(i + 1) : this.deltaKey.length;
      for (let d = this.deltaStart.at(i); d < end; d++) {
        const key = this.deltaKey.at(d);
        const value = (values[key] = values[key]! + this.deltaValue.at(d));
        const count = (inexact[key] = inexact[key]! + this.deltaInexact.at(d));
        const live = value !== 0 || count !== 0;
        if (live && liveAt[key] === -1) {
          liveAt[key] = liveCount;
          liveKeys[liveCount++] = key;
        } else if (!live && liveAt[key]! >= 0) {
          const moved = liveKeys[--liveCount]!;
          liveKeys[liveAt[key]!] = moved;
          liveAt[moved] = liveAt[key]!;
          liveAt[key] = -1;
        }
      }
    };
    const freeze = (factCount: number): Snapshot => {
      const sorted = liveKeys.slice(0, liveCount).sort();
      const snapshot: Snapshot = {
        factCount,
        keys: sorted,
        values: new Float64Array(liveCount),
        inexact: new Int32Array(liveCount),
      };
      for (let j = 0; j < liveCount; j++) {
        snapshot.values[j] = values[sorted[j]!]!;
        snapshot.inexact[j] = inexact[sorted[j]!]!;
      }
      return snapshot;
    };
    // By position: facts [0, n·snapshotEvery) in recording order.
    this.positionSnapshots.length = 0;
    for (let i = 0; i < size; i++) {
      add(i);
      if ((i + 1) % this.snapshotEvery === 0) this.positionSnapshots.push(freeze(i + 1));
    }
    this.current.clear();
    for (let k = 0; k < keys; k++)
      if (values[k] !== 0 || inexact[k] !== 0) this.current.set(k, { value: values[k]!, inexact: inexact[k]! });
    // By business time: a boundary every snapshotEvery facts, each bucket's sums into the tree.
    this.business = new BusinessSums();
    let rank = 0;
    for (let next = this.snapshotEvery; next < size; next += this.snapshotEvery) {
      const boundary = this.occurred.at(order[next]!);
      if (this.business.lastBoundary >= boundary) continue;
      for (; rank < size && this.occurred.at(order[rank]!) < boundary; rank++) this.addInto(this.scratch, order[rank]!);
      this.business.push(boundary, this.scratch);
    }
    this.tailCount = size - rank;
  }

  /** The counters as of `asOf` (ms, inclusive), as known at `knownAt` (a position, inclusive): the last position recorded by `knownAtTime`, as the projector and the timeline give it (the paths below rely on it). */
  query(asOf: number, knownAt: number, knownAtTime: number): Counters {
    if (this.size === 0 || knownAt < this.position.at(0)) {
      this.lastWay = 'nothing'; // nothing was known yet
      return new Map();
    }
    const headPosition = this.position.at(this.size - 1);
    if (knownAt >= headPosition) {
      this.lastWay = 'as-of';
      return this.byTime(asOf);
    }
    // Summed in the dense scratch (typed arrays by key id), not a map: a query can touch 100,000 facts.
    const sums = this.scratch;
    if (asOf >= knownAtTime) {
      // Everything known at K occurred by K (+ skew): a prefix in recording order.
      this.lastWay = 'known-at';
      this.positionInto(sums, knownAt);
      for (let e = 0; e < this.early.length; e++) {
        const i = this.early.at(e);
        if (this.position.at(i) <= knownAt && this.occurred.at(i) > asOf) this.addInto(sums, i, -1);
      }
      return this.named(sums);
    }
    // Ways to the same sum; take the one that touches fewest facts.
    // A: what was known at K, less what occurred after T. A fact known at K
    //    occurred by K (+ skew), so those are the facts that occurred in (T, K].
    const windowFrom = this.upperBound(asOf);
    const windowTo = this.upperBound(knownAtTime + SKEW_MS);
    // B: what occurred by T, less what was recorded after K. When K is more than
    //    a day after T, those facts were recorded late, and the late list holds them.
    const recordedBy = this.countKnownAt(knownAt);
    const lateOnly = knownAtTime - asOf > this.lateAfterMs;
    const lateFrom = lateOnly ? this.firstLateAfter(knownAt) : 0;
    const costA = windowTo - windowFrom;
    const costB = lateOnly ? this.late.length - lateFrom : this.size - recordedBy;
    // C: by blocks of recording order, visiting only facts on the far side of both bounds. It costs
    // a binary search a block to plan, so it is weighed only when A and B both have much to visit.
    const cheaper = Math.min(costA, costB);
    if (cheaper > 2 * this.snapshotEvery) {
      const plan = this.blockPlan(asOf, recordedBy);
      if (plan.cost < cheaper) {
        this.lastWay = plan.route;
        this.blockInto(sums, asOf, recordedBy, plan.route);
        return this.named(sums);
      }
    }
    if (costA <= costB) {
      this.lastWay = 'known-less-window';
      this.positionInto(sums, knownAt);
      for (let k = windowFrom; k < windowTo; k++) {
        const i = this.byOccurrence.at(k);
        if (this.position.at(i) <= knownAt) this.addInto(sums, i, -1);
      }
      return this.named(sums);
    }
    this.lastWay = lateOnly ? 'as-of-less-late' : 'as-of-less-recorded-after';
    this.timeInto(sums, asOf);
    if (lateOnly) {
      for (let j = lateFrom; j < this.late.length; j++) {
        const i = this.late.at(j);
        if (this.occurred.at(i) <= asOf) this.addInto(sums, i, -1);
      }
    } else {
      for (let i = recordedBy; i < this.size; i++) if (this.occurred.at(i) <= asOf) this.addInto(sums, i, -1);
    }
    return this.named(sums);
  }

  /** The answer by one way over the blocks, whatever it costs: for tests, which must see each way right. */
  queryByBlocks(asOf: number, knownAt: number, route: BlockRoute): Counters {
    const count = this.countKnownAt(knownAt);
    this.blockPlan(asOf, count);
    this.blockInto(this.scratch, asOf, count, route);
    return this.named(this.scratch);
  }

  /**
   * Splits every full block at `asOf` (into `splits`: how many of its facts occurred by then) and
   * weighs the four ways over the blocks to the sum of the first `count` facts in recording order
   * that occurred by `asOf`. Blocks "below" hold only facts among the first `count`, blocks "above"
   * none; each way visits one side of the split of the blocks on one side (see BlockRoute). The
   * block that holds the count-th fact, and the last block while not yet full, are visited fact by
   * fact. Costs are in facts visited; a snapshot or the business sums count as a block's worth.
   */
  private blockPlan(asOf: number, count: number): { route: BlockRoute; cost: number } {
    const every = this.snapshotEvery;
    const full = this.blockOrders.count;
    const below = Math.min(Math.floor(count / every), full);
    const above = Math.max(full - below - 1, 0);
    if (this.splits.length < full) this.splits = new Uint32Array(Math.max(full, 2 * this.splits.length));
    let belowBy = 0;
    let aboveBy = 0;
    for (let b = 0; b < full; b++) {
      const split = (this.splits[b] = this.blockOrders.countBy(b, asOf, this.occurrenceOf));
      if (b < below) belowBy += split;
      else if (b > below) aboveBy += split;
    }
    const edge = count - below * every;
    const rest = this.size - count - above * every;
    const costs: [BlockRoute, number][] = [
      ['below-by', belowBy + edge],
      ['below-after', below * every - belowBy + edge + every],
      ['above-by', aboveBy + rest + 2 * every],
      ['above-after', above * every - aboveBy + rest + edge + 3 * every],
    ];
    let [route, cost] = costs[0]!;
    for (const [other, otherCost] of costs) if (otherCost < cost) [route, cost] = [other, otherCost];
    return { route, cost: cost + full };
  }

  /** Adds into `sums` the first `count` facts in recording order that occurred by `asOf`, the way `route` says; `blockPlan` split the blocks at `asOf` first. */
  private blockInto(sums: DenseSums, asOf: number, count: number, route: BlockRoute): void {
    const every = this.snapshotEvery;
    const full = this.blockOrders.count;
    const below = Math.min(Math.floor(count / every), full);
    const edgeFrom = below * every;
    // Past the count-th fact: the rest of its block, then the block not yet full (none if it is that block).
    const restTo = below < full ? (below + 1) * every : this.size;
    const unfinishedFrom = below < full ? full * every : this.size;
    switch (route) {
      case 'below-by':
        for (let b = 0; b < below; b++) this.addRanks(sums, b, 0, this.splits[b]!, 1);
        this.addEdge(sums, edgeFrom, count, asOf, 'by', 1);
        return;
      case 'below-after':
        if (below > 0) sums.addSums(this.positionSnapshots[below - 1]!);
        for (let b = 0; b < below; b++) this.addRanks(sums, b, this.splits[b]!, every, -1);
        this.addEdge(sums, edgeFrom, count, asOf, 'by', 1);
        return;
      case 'above-by':
        this.timeInto(sums, asOf);
        for (let b = below + 1; b < full; b++) this.addRanks(sums, b, 0, this.splits[b]!, -1);
        this.addEdge(sums, count, restTo, asOf, 'by', -1);
        this.addEdge(sums, unfinishedFrom, this.size, asOf, 'by', -1);
        return;
      case 'above-after':
        // By T + recorded by K − everything counts the facts in both once, and misses those in neither.
        this.timeInto(sums, asOf);
        if (below > 0) sums.addSums(this.positionSnapshots[below - 1]!);
        this.addEdge(sums, edgeFrom, count, asOf, 'all', 1);
        for (const [key, c] of this.current) sums.add(key, -c.value, -c.inexact);
        for (let b = below + 1; b < full; b++) this.addRanks(sums, b, this.splits[b]!, every, 1);
        this.addEdge(sums, count, restTo, asOf, 'after', 1);
        this.addEdge(sums, unfinishedFrom, this.size, asOf, 'after', 1);
    }
  }

  /** Adds (or takes away) the facts at ranks [from, to) of a block's order by occurrence. */
  private addRanks(sums: DenseSums, block: number, from: number, to: number, sign: 1 | -1): void {
    for (let r = from; r < to; r++) this.addInto(sums, this.blockOrders.fact(block, r), sign);
  }

  /** Adds (or takes away) the facts [from, to) in recording order that occurred by `asOf`, after it, or all. */
  private addEdge(
    sums: DenseSums,
    from: number,
    to: number,
    asOf: number,
    which: 'by' | 'after' | 'all',
    sign: 1 | -1,
  ): void {
    for (let i = from; i < to; i++)
      if (which === 'all' || this.occurred.at(i) <= asOf === (which === 'by')) this.addInto(sums, i, sign);
  }

  /** How many facts were recorded at or before position `knownAt` (facts are in recording order). */
  private countKnownAt(knownAt: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.position.at(mid) <= knownAt) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first index in the late list (in recording order) of a fact recorded after `knownAt`. */
  private firstLateAfter(knownAt: number): number {
    let lo = 0;
    let hi = this.late.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.position.at(this.late.at(mid)) <= knownAt) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Reference answer by folding every fact; for tests. */
  naive(asOf: number, knownAt: number): Counters {
    const state: Sparse = new Map();
    for (let i = 0; i < this.size; i++)
      if (this.occurred.at(i) <= asOf && this.position.at(i) <= knownAt) this.apply(state, i, 1);
    const counters: Counters = new Map();
    for (const [id, c] of state) if (c.value !== 0 || c.inexact !== 0) counters.set(this.keyNames[id]!, c);
    return counters;
  }

  /** Facts with occurred in [from, to], with position ≤ knownAt, in business-time order. */
  *factsBetween(from: number, to: number, knownAt: number): Generator<{ occurred: number; deltas: Delta[] }> {
    for (let k = this.upperBound(from - 1); k < this.byOccurrence.length; k++) {
      const i = this.byOccurrence.at(k);
      if (this.occurred.at(i) > to) return;
      if (this.position.at(i) > knownAt) continue;
      yield { occurred: this.occurred.at(i), deltas: this.deltasOf(i) };
    }
  }

  private deltasOf(i: number): Delta[] {
    const start = this.deltaStart.at(i);
    const end = i + 1 < this.size ? this.deltaStart.at(i + 1) : this.deltaKey.length;
    const deltas: Delta[] = [];
    for (let d = start; d < end; d++)
      deltas.push({
        key: this.keyNames[this.deltaKey.at(d)]!,
        value: this.deltaValue.at(d),
        inexact: this.deltaInexact.at(d) as 0 | 1,
      });
    return deltas;
  }

  private byTime(asOf: number): Counters {
    this.timeInto(this.scratch, asOf);
    return this.named(this.scratch);
  }

  /** Adds into `sums` everything that occurred by `asOf`. */
  private timeInto(sums: DenseSums, asOf: number): void {
    // Everything that occurred before the last boundary at or before asOf, then the facts from there to asOf.
    const s = this.business.boundariesAtOrBefore(asOf);
    this.business.prefixInto(s, sums);
    for (let k = s > 0 ? this.lowerBound(this.business.boundary(s)) : 0; k < this.byOccurrence.length; k++) {
      const i = this.byOccurrence.at(k);
      if (this.occurred.at(i) > asOf) break;
      this.addInto(sums, i);
    }
  }

  /** Adds into `sums` everything recorded by position `knownAt`: the snapshot before it, then the facts after that. */
  private positionInto(sums: DenseSums, knownAt: number): void {
    const count = this.countKnownAt(knownAt);
    const snapshot = this.positionSnapshots[Math.floor(count / this.snapshotEvery) - 1];
    if (snapshot) sums.addSums(snapshot);
    for (let i = snapshot ? snapshot.factCount : 0; i < count; i++) this.addInto(sums, i);
  }

  private cutOccurrenceSnapshot(): void {
    // The boundary is the latest occurrence seen: facts at exactly that instant stay in the tail.
    const last = this.byOccurrence.last();
    if (last === undefined) return;
    const boundary = this.occurred.at(last);
    const previous = this.business.lastBoundary;
    if (previous >= boundary) return;
    const to = this.lowerBound(boundary);
    for (let k = this.business.count > 0 ? this.lowerBound(previous) : 0; k < to; k++)
      this.addInto(this.scratch, this.byOccurrence.at(k));
    this.business.push(boundary, this.scratch);
    this.tailCount = this.byOccurrence.length - to;
  }

  /** Adds a fact's deltas to scratch sums (takes them away with `sign` -1). */
  private addInto(sums: DenseSums, i: number, sign: 1 | -1 = 1): void {
    const end = i + 1 < this.size ? this.deltaStart.at(i + 1) : this.deltaKey.length;
    for (let d = this.deltaStart.at(i); d < end; d++)
      sums.add(this.deltaKey.at(d), sign * this.deltaValue.at(d), sign * this.deltaInexact.at(d));
  }

  private insertByOccurrence(index: number): void {
    this.byOccurrence.insert(index);
  }

  /** First rank in business-time order whose fact occurred at or after `time`. */
  private lowerBound(time: number): number {
    return this.byOccurrence.lowerBound(time);
  }

  /** First rank in business-time order whose fact occurred after `time`. */
  private upperBound(time: number): number {
    return this.byOccurrence.upperBound(time);
  }

  private idOf(delta: Delta): number {
    if (delta.id === undefined) return this.keyId(delta.key);
    return (this.localIds[delta.id] ??= this.keyId(delta.key));
  }

  /**
   * Makes what a restore left to the first fact added (the key ids by name), so that a write need
   * not wait for it: up to `names` more names a call, so that a service can do it between requests.
   * True while names remain; a fact added meanwhile finishes it at once.
   */
  prepareForWrites(names = Infinity): boolean {
    if (this.keyIdsByName) return false;
    const building = (this.keyIdsBuilt ??= { byName: new Map<string, number>(), next: 0 });
    const end = Math.min(this.keyNames.length, building.next + names);
    for (let id = building.next; id < end; id++) building.byName.set(this.keyNames[id]!, id);
    building.next = end;
    if (end < this.keyNames.length) return true;
    this.keyIdsByName = building.byName;
    this.keyIdsBuilt = undefined;
    return false;
  }

  private get keyIds(): Map<string, number> {
    if (!this.keyIdsByName) this.prepareForWrites();
    return this.keyIdsByName!;
  }

  private keyId(key: string): number {
    let id = this.keyIds.get(key);
    if (id === undefined) {
      id = this.keyNames.length;
      this.keyIds.set(key, id);
      this.keyNames.push(key);
    }
    return id;
  }

  private apply(state: Sparse, i: number, sign: 1 | -1): void {
    const start = this.deltaStart.at(i);
    const end = i + 1 < this.size ? this.deltaStart.at(i + 1) : this.deltaKey.length;
    for (let d = start; d < end; d++) {
      const key = this.deltaKey.at(d);
      const entry = state.get(key);
      const value = sign * this.deltaValue.at(d);
      const inexact = sign * this.deltaInexact.at(d);
      if (entry) {
        entry.value += value;
        entry.inexact += inexact;
        // A key back at zero leaves, as endBulk leaves it out: every shipment's transit account opens
        // and closes, and the running totals would otherwise keep each one for good.
        if (entry.value === 0 && entry.inexact === 0) state.delete(key);
      } else state.set(key, { value, inexact });
    }
  }

  private freeze(state: Sparse, factCount: number): Snapshot {
    // Sorted by key id: the same order as a bulk-built snapshot. The ids are sorted as numbers in a
    // typed array, not as pairs in an array with a comparator: a long history's inventory keeps a few
    // thousand keys live, and this runs every snapshotEvery facts.
    const ids = new Int32Array(state.size);
    let live = 0;
    for (const [key, c] of state) if (c.value !== 0 || c.inexact !== 0) ids[live++] = key;
    const keys = ids.slice(0, live).sort();
    const values = new Float64Array(live);
    const inexact = new Int32Array(live);
    for (let j = 0; j < live; j++) {
      const c = state.get(keys[j]!)!;
      values[j] = c.value;
      inexact[j] = c.inexact;
    }
    return { factCount, keys, values, inexact };
  }

  /** The scratch's sums by key name, leaving it empty. */
  private named(sums: DenseSums): Counters {
    const counters: Counters = new Map();
    sums.drain((id, value, inexact) => counters.set(this.keyNames[id]!, { value, inexact }));
    return counters;
  }
}

/**
 * Fact indexes ordered by (occurred, index): a stable LSD radix sort on the occurrence in ms, in
 * passes of RADIX_BITS, linear in the facts (a long catch-up sorts every fact once). Falls back to
 * a comparison sort for times that are not whole ms within 2^48 of each other.
 */
export function sortByOccurrence(occurred: {
  readonly length: number;
  at(index: number): number | undefined;
}): Uint32Array {
  const n = occurred.length;
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  let min = Infinity;
  let max = -Infinity;
  let whole = true;
  for (let i = 0; i < n; i++) {
    const t = occurred.at(i)!;
    if (t < min) min = t;
    if (t > max) max = t;
    if (!Number.isInteger(t)) whole = false;
  }
  if (!whole || max - min >= 2 ** 48) return order.sort((a, b) => occurred.at(a)! - occurred.at(b)! || a - b);
  // The offsets from the earliest in two 24-bit halves: integer arithmetic from here on.
  const low = new Uint32Array(n);
  const high = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const offset = occurred.at(i)! - min;
    low[i] = offset % 2 ** 24;
    high[i] = Math.floor(offset / 2 ** 24);
  }
  let spare = new Uint32Array(n);
  const counts = new Uint32Array(1 << RADIX_BITS);
  const mask = (1 << RADIX_BITS) - 1;
  const range = max - min;
  for (let shift = 0; shift < 48 && 2 ** shift <= range; shift += RADIX_BITS) {
    const half = shift < 24 ? low : high;
    const within = shift % 24;
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[(half[order[k]!]! >>> within) & mask]!++;
    for (let d = 0, sum = 0; d < counts.length; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      spare[counts[(half[i]! >>> within) & mask]!++] = i;
    }
    [order, spare] = [spare, order];
  }
  return order;
}

/** 12 bits a pass: 4,096 counters stay in the cache, and 24-bit halves take two passes each. */
const RADIX_BITS = 12;
