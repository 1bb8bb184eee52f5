/** Folds recorded test events through a projection the way the projector does, resolving reversals. */
import type { LedgerEvent } from '../../events/index.js';
import type { FoldEvent, ShipmentLedger } from '../../events/postings.js';
import { evolveShipments } from '../../src/ledger/shipments.js';

export function foldAll(
  recorded: readonly LedgerEvent[],
  step: (event: FoldEvent, shipments: (id: string) => ShipmentLedger | undefined) => void,
): void {
  const byId = new Map(recorded.map((e) => [e.id, e]));
  const shipments = new Map<string, ShipmentLedger>();
  for (const event of recorded) {
    const target = event.type === 'EntryReversed' ? byId.get(event.data.eventId) : undefined;
    const foldable = (target ? { ...event, target } : event) as FoldEvent;
    step(foldable, (id) => shipments.get(id));
    evolveShipments(shipments, foldable);
  }
}
