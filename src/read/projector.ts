/**
 * The read side: follows the store's feed (catch-up, then live) and folds
 * every event into the projections, in global order, once. Requests read the
 * folded state; nothing is recomputed per request.
 */
import { upcast, type RecordedEvent } from '../../events/index.js';
import { emptyCatalog, evolveCatalog, type Catalog } from '../../projections/catalog.js';
import type { Counters } from '../../projections/counters.js';
import { evolveInventory } from '../../projections/inventory.js';
import { evolvePersonnel } from '../../projections/personnel.js';
import { LEDGER_STREAM } from '../ledger/book.js';
import type { ShipmentLedger } from '../ledger/postings.js';
import { evolveShipments } from '../ledger/shipments.js';
import { resolveTarget } from '../ledger/writer.js';
import type { EventStore, Subscription } from '../store/port.js';

export interface ProjectionState {
  position: number;
  catalog: Catalog;
  shipments: Map<string, ShipmentLedger>;
  inventory: Counters;
  personnel: Counters;
}

export class Projector {
  readonly state: ProjectionState = {
    position: 0,
    catalog: emptyCatalog(),
    shipments: new Map(),
    inventory: new Map(),
    personnel: new Map(),
  };
  caughtUp = false;
  private subscription: Subscription | undefined;
  private waiters: { position: number; resolve: (reached: boolean) => void }[] = [];

  constructor(private readonly store: EventStore) {}

  /** Resolves once everything stored at start is folded in; live events follow. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.subscription = this.store.subscribeToAll(this.state.position, {
        onEvent: (event) => this.apply(event),
        onCaughtUp: () => {
          this.caughtUp = true;
          resolve();
        },
        onError: reject,
      });
    });
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

  private async apply(recorded: RecordedEvent): Promise<void> {
    if (recorded.stream === LEDGER_STREAM) {
      const event = upcast(recorded);
      const foldable = event.type === 'EntryReversed' ? await resolveTarget(this.store, event) : event;
      const state = this.state;
      const lookup = (id: string) => state.shipments.get(id);
      evolveCatalog(state.catalog, event);
      // Deltas read the shipment as it was before this event; the shipment moves on after.
      evolveInventory(state.inventory, foldable, lookup);
      evolvePersonnel(state.personnel, foldable);
      evolveShipments(state.shipments, foldable);
    }
    this.state.position = recorded.globalPosition;
    if (this.waiters.length > 0) {
      this.waiters = this.waiters.filter((w) => {
        if (this.state.position < w.position) return true;
        w.resolve(true);
        return false;
      });
    }
  }
}
