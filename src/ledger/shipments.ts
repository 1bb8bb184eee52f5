/**
 * The state of each shipment as far as the rules need it: what was
 * dispatched, received and written off, and whether it is closed. Shared by
 * the write-side book and the projections so both read shipments the same way.
 */
import type { LedgerEvent } from '../../events/index.js';
import type { FoldEvent, ShipmentLedger } from './postings.js';

const add = (map: Map<string, number>, key: string, delta: number) => map.set(key, (map.get(key) ?? 0) + delta);

function applyShipmentEvent(shipments: Map<string, ShipmentLedger>, event: LedgerEvent, sign: 1 | -1): void {
  switch (event.type) {
    case 'ShipmentDispatched': {
      if (sign === -1) {
        shipments.delete(event.data.shipmentId);
        return;
      }
      const dispatched = new Map<string, number>();
      for (const line of event.data.lines) add(dispatched, line.itemType, line.quantity.value);
      shipments.set(event.data.shipmentId, {
        from: event.data.from,
        to: event.data.to,
        dispatched,
        received: new Map(),
        writtenOff: new Map(),
        closed: false,
        writeOffReason: undefined,
        activeReceipts: 0,
      });
      return;
    }
    case 'ShipmentReceived': {
      const shipment = shipments.get(event.data.shipmentId);
      if (!shipment) return;
      for (const line of event.data.lines) add(shipment.received, line.itemType, sign * line.quantity.value);
      shipment.activeReceipts += sign;
      return;
    }
    case 'ShipmentClosed': {
      const shipment = shipments.get(event.data.shipmentId);
      if (!shipment) return;
      if (sign === 1) {
        for (const itemType of shipment.dispatched.keys()) {
          const left =
            (shipment.dispatched.get(itemType) ?? 0) -
            (shipment.received.get(itemType) ?? 0) -
            (shipment.writtenOff.get(itemType) ?? 0);
          if (left > 0) add(shipment.writtenOff, itemType, left);
        }
        shipment.closed = true;
        shipment.writeOffReason = event.data.writeOffReason;
      } else {
        shipment.writtenOff.clear();
        shipment.closed = false;
        shipment.writeOffReason = undefined;
      }
      return;
    }
    default:
      return;
  }
}

/** Folds one event into the shipments map. Call after the event's postings were computed. */
export function evolveShipments(shipments: Map<string, ShipmentLedger>, event: FoldEvent): Map<string, ShipmentLedger> {
  if (event.type === 'EntryReversed') {
    if (event.target) applyShipmentEvent(shipments, event.target, -1);
  } else {
    applyShipmentEvent(shipments, event, 1);
  }
  return shipments;
}
