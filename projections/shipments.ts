/**
 * Shipments: each shipment's status, lines dispatched / received / short,
 * lead time, and what a closed short shipment wrote off.
 *
 * A shipment has few events, so its history is kept whole and folded per
 * request, for any asOf and knownAt: entries that occurred after asOf or
 * were recorded after knownAt are left out, and so is every entry whose
 * reversal was known by then.
 */
import type { LedgerEvent } from '../events/index.js';
import type { FoldEvent } from '../src/ledger/postings.js';

interface Entry {
  eventId: string;
  type: 'ShipmentDispatched' | 'ShipmentReceived' | 'ShipmentClosed';
  occurred: number;
  occurredAt: string;
  position: number;
  lines: { itemType: string; quantity: number; exact: boolean }[];
  detail: Record<string, string | undefined>;
}

interface Reversal {
  eventId: string;
  position: number;
}

export interface ShipmentHistory {
  shipmentId: string;
  entries: Entry[];
  reversals: Reversal[];
}

export type ShipmentHistories = Map<string, ShipmentHistory>;

const shipmentIdOf = (event: LedgerEvent): string | undefined =>
  event.type === 'ShipmentDispatched' || event.type === 'ShipmentReceived' || event.type === 'ShipmentClosed'
    ? event.data.shipmentId
    : undefined;

function historyFor(histories: ShipmentHistories, shipmentId: string): ShipmentHistory {
  let history = histories.get(shipmentId);
  if (!history) histories.set(shipmentId, (history = { shipmentId, entries: [], reversals: [] }));
  return history;
}

export function evolveShipmentHistories(histories: ShipmentHistories, event: FoldEvent): ShipmentHistories {
  if (event.type === 'EntryReversed') {
    const shipmentId = event.target && shipmentIdOf(event.target);
    if (shipmentId !== undefined)
      historyFor(histories, shipmentId).reversals.push({ eventId: event.data.eventId, position: event.globalPosition });
    return histories;
  }
  if (event.type !== 'ShipmentDispatched' && event.type !== 'ShipmentReceived' && event.type !== 'ShipmentClosed')
    return histories;
  const shipmentId = event.data.shipmentId;
  const lines =
    event.type === 'ShipmentClosed'
      ? []
      : event.data.lines.map((l) => ({
          itemType: l.itemType,
          quantity: l.quantity.value,
          exact: l.quantity.precision === 'exact',
        }));
  const detail =
    event.type === 'ShipmentDispatched'
      ? {
          from: event.data.from,
          to: event.data.to,
          carrier: event.data.carrier,
          origin: event.data.origin,
          destination: event.data.destination,
        }
      : event.type === 'ShipmentClosed'
        ? { writeOffReason: event.data.writeOffReason }
        : { location: event.data.location };
  historyFor(histories, shipmentId).entries.push({
    eventId: event.id,
    type: event.type,
    occurred: Date.parse(event.occurredAt),
    occurredAt: event.occurredAt,
    position: event.globalPosition,
    lines,
    detail,
  });
  return histories;
}

export type ShipmentStatus = 'dispatched' | 'partially-received' | 'received' | 'closed';

export interface ShipmentView {
  shipmentId: string;
  from: string;
  to: string;
  status: ShipmentStatus;
  carrier?: string | undefined;
  origin?: string | undefined;
  destination?: string | undefined;
  dispatchedAt: string;
  lastReceivedAt: string | null;
  closedAt: string | null;
  /** Days from dispatch to the last receipt, once anything arrived. */
  leadTimeDays: number | null;
  writeOffReason: string | null;
  lines: {
    itemType: string;
    dispatched: number;
    received: number;
    short: number;
    writtenOff: number;
    exact: boolean;
  }[];
  events: { eventId: string; type: string; occurredAt: string; position: number }[];
}

/** The shipment as of `asOf` (ms), as known at position `knownAt`; undefined if it was not dispatched by then. */
export function shipmentAt(history: ShipmentHistory, asOf: number, knownAt: number): ShipmentView | undefined {
  const reversed = new Set(history.reversals.filter((r) => r.position <= knownAt).map((r) => r.eventId));
  const entries = history.entries
    .filter((e) => e.position <= knownAt && e.occurred <= asOf && !reversed.has(e.eventId))
    .sort((a, b) => a.occurred - b.occurred || a.position - b.position);
  const dispatch = entries.find((e) => e.type === 'ShipmentDispatched');
  if (!dispatch) return undefined;
  const lines = new Map<string, ShipmentView['lines'][number]>();
  const lineFor = (itemType: string) => {
    let line = lines.get(itemType);
    if (!line)
      lines.set(itemType, (line = { itemType, dispatched: 0, received: 0, short: 0, writtenOff: 0, exact: true }));
    return line;
  };
  let lastReceived: Entry | undefined;
  let closed: Entry | undefined;
  for (const entry of entries) {
    if (entry.type === 'ShipmentDispatched' && entry === dispatch)
      for (const l of entry.lines) {
        const line = lineFor(l.itemType);
        line.dispatched += l.quantity;
        line.exact &&= l.exact;
      }
    if (entry.type === 'ShipmentReceived' && !closed) {
      lastReceived = entry;
      for (const l of entry.lines) {
        const line = lineFor(l.itemType);
        line.received += l.quantity;
        line.exact &&= l.exact;
      }
    }
    if (entry.type === 'ShipmentClosed' && !closed) {
      closed = entry;
      for (const line of lines.values()) line.writtenOff = Math.max(0, line.dispatched - line.received);
    }
  }
  for (const line of lines.values()) line.short = Math.max(0, line.dispatched - line.received);
  const all = [...lines.values()];
  const status: ShipmentStatus = closed
    ? 'closed'
    : all.every((l) => l.received >= l.dispatched)
      ? 'received'
      : lastReceived
        ? 'partially-received'
        : 'dispatched';
  return {
    shipmentId: history.shipmentId,
    from: dispatch.detail.from ?? '',
    to: dispatch.detail.to ?? '',
    status,
    carrier: dispatch.detail.carrier,
    origin: dispatch.detail.origin,
    destination: dispatch.detail.destination,
    dispatchedAt: dispatch.occurredAt,
    lastReceivedAt: lastReceived?.occurredAt ?? null,
    closedAt: closed?.occurredAt ?? null,
    leadTimeDays: lastReceived
      ? Math.round(((lastReceived.occurred - dispatch.occurred) / 86_400_000) * 10) / 10
      : null,
    writeOffReason: closed?.detail.writeOffReason ?? null,
    lines: all.sort((a, b) => a.itemType.localeCompare(b.itemType)),
    events: entries.map((e) => ({ eventId: e.eventId, type: e.type, occurredAt: e.occurredAt, position: e.position })),
  };
}
