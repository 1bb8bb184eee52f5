/**
 * The sums the projector keeps (stock, people, donors' giving): each an event's deltas on named
 * counters, folded into a time index. One place names them, for the projector and for a worker
 * thread that folds a share of the log.
 */
import { donorDeltas } from '../../projections/donors.js';
import { inventoryDeltas } from '../../projections/inventory.js';
import { personnelDeltas } from '../../projections/personnel.js';
import type { Catalog } from '../../projections/catalog.js';
import type { Delta } from '../../events/counters.js';
import type { FoldEvent, ShipmentLookup } from '../../events/postings.js';

export const SUMS = ['inventory', 'personnel', 'donors'] as const;
export type SumName = (typeof SUMS)[number];

/** One sum's deltas for an event, given its shipment as it was before the event, and the catalog. */
export function sumDeltas(
  name: SumName,
  event: FoldEvent,
  shipments: ShipmentLookup,
  catalog: Catalog,
): readonly Delta[] {
  switch (name) {
    case 'inventory':
      return inventoryDeltas(event, shipments);
    case 'personnel':
      return personnelDeltas(event);
    case 'donors':
      return donorDeltas(event, shipments, catalog);
  }
}

/** A reversal counts at the time its target occurred: from then on, once it is known. */
export const occurredOf = (event: FoldEvent): string =>
  event.type === 'EntryReversed' && event.target ? event.target.occurredAt : event.occurredAt;
