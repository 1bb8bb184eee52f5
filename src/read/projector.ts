/**
 * The read side: follows the store's feed (catch-up, then live) and folds
 * every event into the projections, in global order, once. Requests read the
 * folded state; nothing is replayed per request.
 *
 * Sums (inventory, personnel, donors) are kept twice: as running counters for
 * "now", and as facts in a time index that answers any asOf / knownAt. Short
 * histories (a shipment, a serial) are kept whole and folded per request.
 */
import { upcast, type RecordedEvent } from '../../events/index.js';
import { emptyCatalog, evolveCatalog, type Catalog } from '../../projections/catalog.js';
import { applyDeltas, type Counters, type Delta } from '../../projections/counters.js';
import {
  emptyCustody,
  evolveCustody,
  exportCustody,
  restoreCustody,
  type Custody,
  type CustodyExport,
} from '../../projections/custody.js';
import { donorDeltas } from '../../projections/donors.js';
import { inventoryDeltas } from '../../projections/inventory.js';
import { personnelDeltas } from '../../projections/personnel.js';
import {
  emptyShipmentHistories,
  evolveShipmentHistories,
  exportShipmentHistories,
  restoreShipmentHistories,
  shipmentLedgerOf,
  type ShipmentHistoriesExport,
  type ShipmentHistories,
} from '../../projections/shipments.js';
import { Column, PositionColumn } from '../../projections/column.js';
import { TimeIndex, type TimeIndexExport, type TimeIndexOptions } from '../../projections/time-index.js';
import { LEDGER_STREAM } from '../ledger/book.js';
import type { FoldEvent, ShipmentLedger } from '../ledger/postings.js';
import { resolveTarget } from '../ledger/writer.js';
import type { EventStore, Subscription } from '../store/port.js';

/** Events behind the head from which a catch-up indexes in bulk. */
export const BULK_CATCH_UP = 10_000;

export const SUMS = ['inventory', 'personnel', 'donors'] as const;
export type SumName = (typeof SUMS)[number];

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
  recordedTimes: Float64Array;
  recordedPositions: Uint32Array | Int32Array | Float64Array;
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
  /** recordedAt (ms) and position of every event, in order: knownAt → position by binary search. */
  private recordedTimes: Column<Float64Array> = new Column((n) => new Float64Array(n));
  private recordedPositions = new PositionColumn();
  caughtUp = false;
  /** The position of the checkpoint this projector started from, if any. */
  restoredFrom: number | undefined;
  private subscription: Subscription | undefined;
  private waiters: { position: number; resolve: (reached: boolean) => void }[] = [];
  /** Catching up in bulk: running totals and the indexes' order wait for the end of the catch-up. */
  private bulk = false;

  private readonly bulkCatchUp: number;

  constructor(
    private readonly store: EventStore,
    options: TimeIndexOptions & { bulkCatchUp?: number } = {},
  ) {
    this.bulkCatchUp = options.bulkCatchUp ?? BULK_CATCH_UP;
    this.indexes = {
      inventory: new TimeIndex(options),
      personnel: new TimeIndex(options),
      donors: new TimeIndex(options),
    };
  }

  export(): ProjectorExport {
    return {
      state: {
        ...this.state,
        shipmentHistories: exportShipmentHistories(this.state.shipmentHistories),
        custody: exportCustody(this.state.custody),
      },
      indexes: {
        inventory: this.indexes.inventory.export(),
        personnel: this.indexes.personnel.export(),
        donors: this.indexes.donors.export(),
      },
      recordedTimes: this.recordedTimes.export(),
      recordedPositions: this.recordedPositions.export(),
    };
  }

  /** Takes up a checkpoint's state; `start` then folds only what came after it. Before `start` only. */
  restore(data: ProjectorExport): void {
    this.state = {
      ...data.state,
      shipmentHistories: restoreShipmentHistories(data.state.shipmentHistories),
      custody: restoreCustody(data.state.custody),
    };
    this.indexes = {
      inventory: TimeIndex.from(data.indexes.inventory),
      personnel: TimeIndex.from(data.indexes.personnel),
      donors: TimeIndex.from(data.indexes.donors),
    };
    this.recordedTimes = Column.of((n) => new Float64Array(n), data.recordedTimes);
    this.recordedPositions = PositionColumn.restore(data.recordedPositions);
    this.restoredFrom = data.state.position;
  }

  /** Resolves once everything stored at start is folded in; live events follow. */
  async start(): Promise<void> {
    // A long way behind (a rebuild, a first start): index in bulk, order and snapshot once at the end.
    this.bulk = (await this.store.headPosition()) - this.state.position >= this.bulkCatchUp;
    if (this.bulk) for (const name of SUMS) this.indexes[name].beginBulk();
    return new Promise((resolve, reject) => {
      this.subscription = this.store.subscribeToAll(this.state.position, {
        onEvent: (event) => this.apply(event),
        onCaughtUp: () => {
          if (this.bulk) this.endBulk();
          this.caughtUp = true;
          resolve();
        },
        onError: reject,
      });
    });
  }

  private endBulk(): void {
    this.bulk = false;
    this.recordedTimes.trim();
    this.recordedPositions.trim();
    this.state.shipmentHistories.log.trim();
    this.state.custody.log.trim();
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
    let lo = 0;
    let hi = this.recordedTimes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.recordedTimes.at(mid) <= knownAt) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.recordedPositions.at(lo - 1);
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
  private apply(recorded: RecordedEvent): void | Promise<void> {
    const recordedAt = Date.parse(recorded.recordedAt);
    if (recorded.stream === LEDGER_STREAM) {
      const event = upcast(recorded);
      if (event.type === 'EntryReversed')
        return resolveTarget(this.store, event).then((resolved) => {
          this.fold(resolved, recordedAt);
          this.advance(recorded, recordedAt);
        });
      this.fold(event, recordedAt);
    }
    this.advance(recorded, recordedAt);
  }

  private advance(recorded: RecordedEvent, recordedAt: number): void {
    this.state.position = recorded.globalPosition;
    this.recordedTimes.push(recordedAt);
    this.recordedPositions.push(recorded.globalPosition);
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
    // The shipment as it was before this event, from its history; made once per event.
    let looked: { id: string; shipment: ShipmentLedger | undefined } | undefined;
    const lookup = (id: string) => {
      if (looked?.id !== id) looked = { id, shipment: shipmentLedgerOf(state.shipmentHistories, id) };
      return looked.shipment;
    };
    evolveCatalog(state.catalog, event);
    // Deltas read the shipment as it was before this event; the shipment moves on after.
    const deltas: Record<SumName, Delta[]> = {
      inventory: inventoryDeltas(event, lookup),
      personnel: personnelDeltas(event),
      donors: donorDeltas(event, lookup, state.catalog),
    };
    // A reversal counts at the time its target occurred: from then on, once it is known.
    const occurred = Date.parse(
      event.type === 'EntryReversed' && event.target ? event.target.occurredAt : event.occurredAt,
    );
    for (const name of SUMS) {
      if (deltas[name].length === 0) continue;
      if (!this.bulk) applyDeltas(state.now[name], deltas[name]);
      this.indexes[name].add({ occurred, recorded: recordedAt, position: event.globalPosition, deltas: deltas[name] });
    }
    evolveCustody(state.custody, event, lookup);
    // Last: the lookups above read each shipment from its history as it was before this event.
    evolveShipmentHistories(state.shipmentHistories, event);
  }
}
