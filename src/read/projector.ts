/**
 * The read side: follows the store's feed (catch-up, then live) and folds
 * every event into the projections, in global order, once. Requests read the
 * folded state; nothing is replayed per request.
 *
 * Sums (inventory, personnel, donors) are kept twice: as running counters for
 * "now", and as facts in a time index that answers any asOf / knownAt. Short
 * histories (a shipment, a serial) are kept whole and folded per request.
 */
import type { StoreFault } from '../store/faults.js';
import { followStore } from '../store/follow.js';
import { instantParser, upcast, type StoredEvent } from '../../events/index.js';
import { emptyCatalog, evolveCatalog, type Catalog } from '../../projections/catalog.js';
import { applyDeltas, type Counters } from '../../events/counters.js';
import {
  emptyCustody,
  evolveCustody,
  exportCustody,
  restoreCustody,
  type Custody,
  type CustodyExport,
} from '../../projections/custody.js';
import {
  emptyShipmentHistories,
  evolveShipmentHistories,
  exportShipmentHistories,
  restoreShipmentHistories,
  ShipmentLookups,
  type ShipmentHistoriesExport,
  type ShipmentHistories,
} from '../../projections/shipments.js';
import { TimeIndex, type TimeIndexExport, type TimeIndexOptions } from '../../projections/time-index/time-index.js';
import { LEDGER_STREAM } from '../ledger/book.js';
import type { FoldEvent, ShipmentLookup } from '../../events/postings.js';
import { resolveTarget } from '../ledger/writer.js';
import type { EventStore, Subscription } from '../store/port.js';
import { catchUp, TargetsAhead, type SharedReader } from './catch-up.js';
import { RecordingTimes, type RecordingTimesExport } from './recording-times.js';
import { foldSumsAside, MAIN_MARK, MAIN_READS, SELF_CONTAINED_TYPES } from './split-fold.js';
import { occurredOf, sumDeltas, SUMS, type SumName } from './sums.js';

/** Events behind the head from which a catch-up indexes in bulk. */
export const BULK_CATCH_UP = 10_000;

export { SUMS, type SumName } from './sums.js';

export interface ProjectionState {
  position: number;
  catalog: Catalog;
  /** Running totals: the answer for "now". */
  now: Record<SumName, Counters>;
  shipmentHistories: ShipmentHistories;
  custody: Custody;
}

/** Which slice of history an answer is for: both bounds in ms; knownAt as the last position recorded by then. */
export interface Bitemporal {
  asOf: number | undefined;
  knownAtTime: number | undefined;
  /** The global position the answer reflects. */
  position: number;
}

/** Everything the projector folded, as plain data: what a checkpoint stores. */
export interface ProjectorExport {
  state: Omit<ProjectionState, 'shipmentHistories' | 'custody'> & {
    shipmentHistories: ShipmentHistoriesExport;
    custody: CustodyExport;
  };
  indexes: Record<SumName, TimeIndexExport>;
  recorded: RecordingTimesExport;
}

export class Projector {
  state: ProjectionState = {
    position: 0,
    catalog: emptyCatalog(),
    now: { inventory: new Map(), personnel: new Map(), donors: new Map() },
    shipmentHistories: emptyShipmentHistories(),
    custody: emptyCustody(),
  };
  indexes: Record<SumName, TimeIndex>;
  /** When each position was recorded (as runs): knownAt → position by binary search. */
  private recorded = new RecordingTimes();
  caughtUp = false;
  /** A store fault the feed is waiting out (it resubscribes on its own), for /ready. */
  fault: string | undefined;
  /** Set when following stopped for good (a fold failed): the projections no longer move. */
  stopped: Error | undefined;
  /** Told of every store fault the feed meets (for the operator's log). */
  onFault: ((fault: StoreFault) => void) | undefined;
  /** True when its catch-up was shared with a worker thread (see split-fold.ts). */
  sharedCatchUp = false;
  /** The position of the checkpoint this projector started from, if any. */
  restoredFrom: number | undefined;
  private subscription: Subscription | undefined;
  private waiters: { position: number; resolve: (reached: boolean) => void }[] = [];
  /** Catching up in bulk: running totals and the indexes' order wait for the end of the catch-up. */
  private bulk = false;

  private readonly bulkCatchUp: number;
  private readonly indexOptions: TimeIndexOptions;
  /** While a worker thread folds the sums of these types (a long catch-up from zero on a store file). */
  private sumsAside: ReadonlySet<string> | undefined;
  /** Reversals' targets read ahead for the pages of a catch-up over the network. */
  private targetsAhead: TargetsAhead | undefined;
  /** The shared reads being folded, whose pages may come with their reversals' targets. */
  private sharedReads: SharedReader | undefined;
  private shipments: ShipmentLookups;
  /** The fold's shipment lookup, made once: a closure per event costs a million allocations. */
  private readonly lookup: ShipmentLookup = (id) => this.shipments.get(id);
  private readonly occurredTime = instantParser();
  private readonly recordedTime = instantParser();

  constructor(
    private readonly store: EventStore,
    options: TimeIndexOptions & { bulkCatchUp?: number } = {},
  ) {
    this.bulkCatchUp = options.bulkCatchUp ?? BULK_CATCH_UP;
    this.indexOptions = { snapshotEvery: options.snapshotEvery, lateAfterMs: options.lateAfterMs };
    this.shipments = new ShipmentLookups(this.state.shipmentHistories);
    this.indexes = {
      inventory: new TimeIndex(options),
      personnel: new TimeIndex(options),
      donors: new TimeIndex(options),
    };
  }

  /**
   * What a checkpoint stores. The time indexes' columns and the keyed logs are their own chunks, not
   * copies (about 1.3 GB at ten million events): write it out before anything more is folded.
   */
  export(): ProjectorExport {
    return {
      state: {
        ...this.state,
        shipmentHistories: exportShipmentHistories(this.state.shipmentHistories, true),
        custody: exportCustody(this.state.custody, true),
      },
      indexes: {
        inventory: this.indexes.inventory.export(true),
        personnel: this.indexes.personnel.export(true),
        donors: this.indexes.donors.export(true),
      },
      recorded: this.recorded.export(),
    };
  }

  /** Takes up a checkpoint's state; `start` then folds only what came after it. Before `start` only. */
  restore(data: ProjectorExport): void {
    this.state = {
      ...data.state,
      shipmentHistories: restoreShipmentHistories(data.state.shipmentHistories),
      custody: restoreCustody(data.state.custody),
    };
    this.shipments = new ShipmentLookups(this.state.shipmentHistories);
    this.indexes = {
      inventory: TimeIndex.from(data.indexes.inventory),
      personnel: TimeIndex.from(data.indexes.personnel),
      donors: TimeIndex.from(data.indexes.donors),
    };
    this.recorded = RecordingTimes.restore(data.recorded);
    this.restoredFrom = data.state.position;
  }

  /**
   * Makes what a restore leaves to the first write (see TimeIndex.prepareForWrites), once the service
   * answers: up to `names` key names a call; true while some remain.
   */
  prepareForWrites(names = Infinity): boolean {
    for (const index of Object.values(this.indexes)) if (index.prepareForWrites(names)) return true;
    return false;
  }

  /**
   * Resolves once everything stored at start is folded in; live events follow. `shared`: the log's
   * pages as read once for the writer's book and the projections (a first start), used when the
   * fold is shared with the sums thread from where they start.
   */
  async start(shared?: SharedReader): Promise<void> {
    try {
      // A long way behind (a rebuild, a first start): index in bulk, order and snapshot once at the end.
      const head = await this.store.headPosition();
      this.bulk = head - this.state.position >= this.bulkCatchUp;
      if (this.bulk) {
        for (const name of SUMS) this.indexes[name].beginBulk();
        await this.catchUpInBulk(head, shared);
      }
    } finally {
      shared?.leave(); // read or not, nothing more is kept for the projections
    }
    return new Promise((resolve, reject) => {
      this.subscription = followStore(this.store, this.state.position, {
        onEvent: (event) => this.apply(event),
        onCaughtUp: () => {
          if (this.bulk) this.endBulk();
          this.caughtUp = true;
          resolve();
        },
        onFault: (fault) => {
          this.fault = fault.message;
          this.onFault?.(fault);
        },
        onRecovered: () => {
          this.fault = undefined;
        },
        onError: (error) => {
          this.stopped = error;
          reject(error);
        },
      });
    });
  }

  /** Folds (position, head] through the store's lean reads, sharing the work with a worker thread where it can. */
  private async catchUpInBulk(head: number, shared: SharedReader | undefined): Promise<void> {
    const file = this.store.file;
    const split = this.state.position === 0 && file !== undefined && file !== ':memory:' && this.store.readForFold;
    // The pages the book reads too, when they are the ones read here (the same start, head and rule): read once.
    const together =
      split && shared?.takes === 'marked' && shared.mark === MAIN_MARK && shared.from === 0 && shared.head === head;
    if (!together) shared?.leave();
    if (!split) {
      const ahead = (this.targetsAhead = new TargetsAhead(this.store));
      try {
        await catchUp(this.store, this.state.position, head, (event) => this.apply(event), undefined, ahead.prepare);
      } finally {
        this.targetsAhead = undefined;
      }
      return;
    }
    this.sumsAside = SELF_CONTAINED_TYPES;
    this.sharedCatchUp = true;
    if (together) this.sharedReads = shared;
    // Shared reads bring a page's reversals' targets with the page; alone, this thread reads them so.
    const ahead = together ? undefined : (this.targetsAhead = new TargetsAhead(this.store));
    try {
      const [, aside] = await Promise.all([
        together
          ? shared.catchUp((event) => this.apply(event))
          : catchUp(this.store, 0, head, (event) => this.apply(event), MAIN_READS, ahead?.prepare),
        foldSumsAside({ file, head, index: this.indexOptions }),
      ]);
      for (const name of SUMS) this.indexes[name].mergeBulk(aside.indexes[name]);
      this.recorded = this.recorded.mergedWith(aside.recorded);
      // The worker's events after the main thread's last are folded too: the subscription starts after them.
      const last = this.recorded.lastPosition;
      if (last !== undefined) this.reached(last);
    } finally {
      this.sumsAside = undefined;
      this.sharedReads = undefined;
      this.targetsAhead = undefined;
    }
  }

  private endBulk(): void {
    this.bulk = false;
    for (const name of SUMS) {
      this.indexes[name].endBulk();
      this.state.now[name] = this.indexes[name].currentCounters();
    }
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    for (const w of this.waiters) w.resolve(false);
    this.waiters = [];
  }

  /** Waits until the projections reflect `position`, or gives up after `timeoutMs`; resolves whether it was reached. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.state.position >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { position, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(this.state.position >= position);
      }, timeoutMs).unref();
    });
  }

  /** The last position recorded at or before `knownAt` (ms); 0 before the first event. */
  positionKnownAt(knownAt: number): number {
    return this.recorded.positionKnownAt(knownAt);
  }

  /** Resolves the slice an answer is for; with neither bound, it is "now". */
  slice(asOf: number | undefined, knownAtTime: number | undefined): Bitemporal {
    const position = knownAtTime === undefined ? this.state.position : this.positionKnownAt(knownAtTime);
    return { asOf, knownAtTime, position };
  }

  /** A sum as of / as known at the slice. */
  sum(name: SumName, slice: Bitemporal): Counters {
    if (slice.asOf === undefined && slice.knownAtTime === undefined) return this.state.now[name];
    return this.indexes[name].query(
      slice.asOf ?? Number.MAX_SAFE_INTEGER,
      slice.position,
      slice.knownAtTime ?? Number.MAX_SAFE_INTEGER,
    );
  }

  /** Synchronous but for a reversal, whose target is read from the store first. */
  private apply(recorded: StoredEvent): void | Promise<void> {
    const recordedAt = this.recordedTime(recorded.recordedAt);
    if (recorded.stream === LEDGER_STREAM) {
      const event = upcast(recorded);
      if (event.type === 'EntryReversed') {
        const ahead = this.targetsAhead?.take(event.data.eventId) ?? this.sharedReads?.target(event.data.eventId);
        if (ahead) {
          this.fold({ ...event, target: upcast(ahead) }, recordedAt);
          this.advance(recorded, recordedAt);
          return;
        }
        return resolveTarget(this.store, event).then((resolved) => {
          this.fold(resolved, recordedAt);
          this.advance(recorded, recordedAt);
        });
      }
      this.fold(event, recordedAt);
    }
    this.advance(recorded, recordedAt);
  }

  private advance(recorded: StoredEvent, recordedAt: number): void {
    this.recorded.note(recordedAt, recorded.globalPosition);
    this.reached(recorded.globalPosition);
  }

  private reached(position: number): void {
    this.state.position = position;
    if (this.waiters.length > 0) {
      this.waiters = this.waiters.filter((w) => {
        if (this.state.position < w.position) return true;
        w.resolve(true);
        return false;
      });
    }
  }

  private fold(event: FoldEvent, recordedAt: number): void {
    const state = this.state;
    const lookup = this.lookup;
    evolveCatalog(state.catalog, event);
    // Deltas read the shipment as it was before this event; the shipment moves on after.
    if (this.sumsAside?.has(event.type) !== true) {
      const occurred = this.occurredTime(occurredOf(event));
      for (const name of SUMS) {
        const deltas = sumDeltas(name, event, lookup, state.catalog);
        if (deltas.length === 0) continue;
        if (!this.bulk) applyDeltas(state.now[name], deltas);
        this.indexes[name].add({ occurred, recorded: recordedAt, position: event.globalPosition, deltas });
      }
    }
    evolveCustody(state.custody, event, lookup);
    // Last: the lookups above read each shipment as it was before this event.
    this.shipments.evolve(event);
    evolveShipmentHistories(state.shipmentHistories, event);
  }
}
