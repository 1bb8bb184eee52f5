/**
 * The state of each shipment as far as the rules need it: what was
 * dispatched, received and written off, and whether it is closed. Shared by
 * the write-side book and the projections so both read shipments the same way.
 */
import type { FoldableEvent } from '../../events/index.js';
import {
  lineOutstanding,
  shipmentLine,
  type FoldEvent,
  type ShipmentLedger,
  type ShipmentLine,
} from '../../events/postings.js';

function applyShipmentEvent(shipments: Map<string, ShipmentLedger>, event: FoldableEvent, sign: 1 | -1): void {
  switch (event.type) {
    case 'ShipmentDispatched': {
      if (sign === -1) {
        shipments.delete(event.data.shipmentId);
        return;
      }
      const lines: ShipmentLine[] = [];
      for (const { itemType, quantity } of event.data.lines) {
        const line = lines.find((l) => l.itemType === itemType);
        if (line) line.dispatched += quantity.value;
        else lines.push({ itemType, dispatched: quantity.value, received: 0, writtenOff: 0 });
      }
      shipments.set(event.data.shipmentId, {
        from: event.data.from,
        to: event.data.to,
        lines,
        closed: false,
        writeOffReason: undefined,
        activeReceipts: 0,
      });
      return;
    }
    case 'ShipmentReceived': {
      const shipment = shipments.get(event.data.shipmentId);
      if (!shipment) return;
      for (const { itemType, quantity } of event.data.lines) {
        // decide() refuses a receipt of an item the shipment did not carry.
        const line = shipmentLine(shipment, itemType);
        if (line) line.received += sign * quantity.value;
      }
      shipment.activeReceipts += sign;
      return;
    }
    case 'ShipmentClosed': {
      const shipment = shipments.get(event.data.shipmentId);
      if (!shipment) return;
      if (sign === 1) {
        for (const line of shipment.lines) {
          const left = lineOutstanding(line);
          if (left > 0) line.writtenOff += left;
        }
        shipment.closed = true;
        shipment.writeOffReason = event.data.writeOffReason;
      } else {
        for (const line of shipment.lines) line.writtenOff = 0;
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
