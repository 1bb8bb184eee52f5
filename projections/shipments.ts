/**
 * Shipments: each shipment's status, lines dispatched / received / short,
 * lead time, and what a closed short shipment wrote off.
 *
 * A shipment has few events, so its history is kept whole and folded per
 * request, for any asOf and knownAt: entries that occurred after asOf or were
 * recorded after knownAt are left out, and so is every entry whose reversal
 * was known by then.
 *
 * Kept compact, since there may be many shipments: an entry is a run of
 * numbers (position, occurrence, kind, then item / quantity / exact per line,
 * item types interned), and an event's id is read back by position when shown.
 */
import type { FoldableEvent } from '../events/index.js';
import { parseInstant } from '../events/instant.js';
import type { FoldEvent, ShipmentLedger } from '../events/postings.js';
import { evolveShipments } from '../src/ledger/shipments.js';
import { emptyInterned, internId, type Interned } from './time-index/interned.js';
import { KeyedLog, type KeyedLogExport } from './time-index/keyed-log.js';
import { EXACT_SHAPE, EXACT_ZERO, sumBounds, type Bounds, type FigureShape } from '../events/precision.js';

const KINDS = ['ShipmentDispatched', 'ShipmentReceived', 'ShipmentClosed'] as const;
type Kind = (typeof KINDS)[number];
const WRITE_OFF_REASONS = ['lost', 'damaged', 'diverted'] as const;

/** A dispatch's parties and route. */
interface Route {
  position: number;
  from: string;
  to: string;
  carrier?: string;
  origin?: string;
  destination?: string;
}

/**
 * Every shipment's events, as records in a keyed log (see keyed-log.ts), names and item types
 * interned:
 * - an event: [kind, position, occurred ms, line count (a closing: its reason's index),
 *   then item, quantity, exact per line; a dispatch then adds from, to, carrier, origin and
 *   destination (-1 when absent)];
 * - a reversal of one of them: [REVERSAL, reversed event's position, reversal's position].
 */
export interface ShipmentHistories {
  log: KeyedLog;
  items: Interned;
  names: Interned;
}

const REVERSAL = KINDS.length;

export const emptyShipmentHistories = (): ShipmentHistories => ({
  log: new KeyedLog(),
  items: emptyInterned(),
  names: emptyInterned(),
});

/** As plain data, for a checkpoint. */
export interface ShipmentHistoriesExport {
  log: KeyedLogExport;
  items: Interned;
  names: Interned;
}

/** `asParts`: the log's columns as their own chunks (see KeyedLog.export), for a checkpoint written at once. */
export const exportShipmentHistories = (histories: ShipmentHistories, asParts = false): ShipmentHistoriesExport => ({
  log: histories.log.export(asParts),
  items: histories.items,
  names: histories.names,
});

export const restoreShipmentHistories = (data: ShipmentHistoriesExport): ShipmentHistories => ({
  log: KeyedLog.from(data.log),
  items: data.items,
  names: data.names,
});

/** Every shipment with a history, in the order first seen. */
export const shipmentIds = (histories: ShipmentHistories): readonly string[] => histories.log.keys();

const isShipmentEvent = (
  event: FoldableEvent,
): event is Extract<FoldableEvent, { type: 'ShipmentDispatched' | 'ShipmentReceived' | 'ShipmentClosed' }> =>
  event.type === 'ShipmentDispatched' || event.type === 'ShipmentReceived' || event.type === 'ShipmentClosed';

export function evolveShipmentHistories(histories: ShipmentHistories, event: FoldEvent): ShipmentHistories {
  if (event.type === 'EntryReversed') {
    const target = event.target;
    if (target && isShipmentEvent(target))
      histories.log.append(target.data.shipmentId, [REVERSAL, target.globalPosition, event.globalPosition]);
    return histories;
  }
  if (!isShipmentEvent(event)) return histories;
  const record = [KINDS.indexOf(event.type), event.globalPosition, parseInstant(event.occurredAt)];
  if (event.type === 'ShipmentClosed') record.push(WRITE_OFF_REASONS.indexOf(event.data.writeOffReason));
  else {
    record.push(event.data.lines.length);
    for (const line of event.data.lines)
      record.push(internId(histories.items, line.itemType), line.quantity.value, shapeCode(line.quantity));
  }
  if (event.type === 'ShipmentDispatched') {
    const { from, to, carrier, origin, destination } = event.data;
    const name = (value: string | undefined) => (value === undefined ? -1 : internId(histories.names, value));
    record.push(name(from), name(to), name(carrier), name(origin), name(destination));
  }
  histories.log.append(event.data.shipmentId, record);
  return histories;
}

/**
 * A line's precision as one number: 1 exact, 0 at least, -1 approximate with no upper bound,
 * -(upTo + 1) approximate up to `upTo` (upTo ≥ 1, so never -1).
 */
const shapeCode = (q: { precision: string; upTo?: number | undefined }): number =>
  q.precision === 'exact' ? 1 : q.precision === 'at-least' ? 0 : q.upTo === undefined ? -1 : -(q.upTo + 1);

const shapeOfCode = (code: number): FigureShape =>
  code === 1
    ? EXACT_SHAPE
    : code === 0
      ? { precision: 'at-least', upTo: undefined }
      : { precision: 'approximate', upTo: code === -1 ? undefined : -code - 1 };

/** Bounds of one dispatched or received figure. */
const figureBounds = (quantity: number, shape: FigureShape): Bounds => ({
  precision: shape.precision,
  lower: quantity,
  upper: shape.precision === 'exact' ? quantity : (shape.upTo ?? null),
});

interface Entry {
  position: number;
  occurred: number;
  kind: Kind;
  reason: string | undefined;
  lines: { itemType: string; quantity: number; exact: boolean; shape: FigureShape }[];
}

interface History {
  entries: Entry[];
  routes: Route[];
  /** [reversed event's position, reversal's position] pairs, flattened. */
  reversals: number[];
}

/** A shipment's records, read back into entries, routes and reversals; undefined if it has none. */
function historyOf(histories: ShipmentHistories, shipmentId: string): History | undefined {
  if (!histories.log.has(shipmentId)) return undefined;
  const history: History = { entries: [], routes: [], reversals: [] };
  const items = histories.items.names;
  const names = histories.names.names;
  for (const r of histories.log.records(shipmentId)) {
    if (r[0] === REVERSAL) {
      history.reversals.push(r[1]!, r[2]!);
      continue;
    }
    const kind = KINDS[r[0]!]!;
    const position = r[1]!;
    const occurred = r[2]!;
    if (kind === 'ShipmentClosed') {
      history.entries.push({ position, occurred, kind, reason: WRITE_OFF_REASONS[r[3]!], lines: [] });
      continue;
    }
    const count = r[3]!;
    const lines = [];
    let i = 4;
    for (let l = 0; l < count; l++, i += 3)
      lines.push({
        itemType: items[r[i]!]!,
        quantity: r[i + 1]!,
        exact: r[i + 2] === 1,
        shape: shapeOfCode(r[i + 2]!),
      });
    history.entries.push({ position, occurred, kind, reason: undefined, lines });
    if (kind === 'ShipmentDispatched') {
      const name = (id: number) => (id < 0 ? undefined : names[id]);
      const [from, to, carrier, origin, destination] = r.slice(i, i + 5).map(name);
      history.routes.push({
        position,
        from: from ?? '',
        to: to ?? '',
        ...(carrier === undefined ? {} : { carrier }),
        ...(origin === undefined ? {} : { origin }),
        ...(destination === undefined ? {} : { destination }),
      });
    }
  }
  return history;
}

/**
 * The shipment as the postings of its next event need it (what the book keeps in a map), made from
 * its history: its events and reversals replayed in recording order through the book's own fold.
 * The projections keep no second copy of every shipment.
 */
export function shipmentLedgerOf(histories: ShipmentHistories, shipmentId: string): ShipmentLedger | undefined {
  const history = historyOf(histories, shipmentId);
  if (!history) return undefined;
  const events = new Map<number, FoldableEvent>();
  for (const entry of history.entries) {
    const lines = entry.lines.map((l) => ({
      itemType: l.itemType,
      quantity: { value: l.quantity, precision: l.shape.precision, upTo: l.shape.upTo },
    }));
    const route = history.routes.find((r) => r.position === entry.position);
    const data =
      entry.kind === 'ShipmentDispatched'
        ? { shipmentId, from: route?.from ?? '', to: route?.to ?? '', lines }
        : entry.kind === 'ShipmentReceived'
          ? { shipmentId, lines }
          : { shipmentId, writeOffReason: entry.reason };
    events.set(entry.position, { type: entry.kind, data } as unknown as FoldableEvent);
  }
  // Entries and reversals, each in recording order, merged by position.
  const replay: { position: number; event: FoldEvent }[] = [...events].map(([position, event]) => ({
    position,
    event,
  }));
  const reversals = history.reversals;
  for (let i = 0; i < reversals.length; i += 2) {
    const target = events.get(reversals[i]!);
    if (target)
      replay.push({
        position: reversals[i + 1]!,
        event: { type: 'EntryReversed', target } as unknown as FoldEvent,
      });
  }
  replay.sort((a, b) => a.position - b.position);
  const ledger = new Map<string, ShipmentLedger>();
  for (const { event } of replay) evolveShipments(ledger, event);
  return ledger.get(shipmentId);
}

/**
 * The shipment lookup of a fold: what the postings of a shipment's next event need. Few shipments
 * are open at once, and nearly every shipment event is for an open one, so their ledgers are kept
 * and moved on with each event (through the book's own fold); a closed one, or one not seen since a
 * restart, is made from its history. So a long history costs no ledger per shipment, and a long
 * fold does not replay a shipment's history for each of its events.
 */
export class ShipmentLookups {
  private readonly open = new Map<string, ShipmentLedger>();

  constructor(private readonly histories: ShipmentHistories) {}

  /** The shipment as it is before the event being folded; undefined if it was never dispatched. */
  get(shipmentId: string): ShipmentLedger | undefined {
    const kept = this.open.get(shipmentId);
    if (kept !== undefined) return kept;
    const made = shipmentLedgerOf(this.histories, shipmentId);
    if (made && !made.closed) this.open.set(shipmentId, made);
    return made;
  }

  /** Moves the kept shipments on by an event, after its postings were computed. */
  evolve(event: FoldEvent): void {
    const subject = event.type === 'EntryReversed' ? event.target : event;
    if (!subject || !isShipmentEvent(subject)) return;
    evolveShipments(this.open, event);
    if (this.open.get(subject.data.shipmentId)?.closed) this.open.delete(subject.data.shipmentId);
  }
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
    /** Precision and bounds of what was dispatched, and of what was received. */
    dispatchedBounds: Bounds;
    receivedBounds: Bounds;
  }[];
  /** The shipment's events; their ids are read back by position when shown. */
  events: { type: string; occurredAt: string; position: number }[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The shipment as of `asOf` (ms), as known at position `knownAt`; undefined if it was not dispatched by then. */
export function shipmentAt(
  histories: ShipmentHistories,
  shipmentId: string,
  asOf: number,
  knownAt: number,
): ShipmentView | undefined {
  const history = historyOf(histories, shipmentId);
  if (!history) return undefined;
  const reversed = new Set<number>();
  const reversals = history.reversals;
  for (let i = 0; i < reversals.length; i += 2) if (reversals[i + 1]! <= knownAt) reversed.add(reversals[i]!);
  const entries = history.entries
    .filter((e) => e.position <= knownAt && e.occurred <= asOf && !reversed.has(e.position))
    .sort((a, b) => a.occurred - b.occurred || a.position - b.position);
  const dispatch = entries.find((e) => e.kind === 'ShipmentDispatched');
  if (!dispatch) return undefined;
  const route = history.routes.find((r) => r.position === dispatch.position);
  const lines = new Map<string, ShipmentView['lines'][number]>();
  const lineFor = (itemType: string) => {
    let line = lines.get(itemType);
    if (!line)
      lines.set(
        itemType,
        (line = {
          itemType,
          dispatched: 0,
          received: 0,
          short: 0,
          writtenOff: 0,
          exact: true,
          dispatchedBounds: EXACT_ZERO,
          receivedBounds: EXACT_ZERO,
        }),
      );
    return line;
  };
  let lastReceived: Entry | undefined;
  let closed: Entry | undefined;
  for (const entry of entries) {
    if (entry === dispatch)
      for (const l of entry.lines) {
        const line = lineFor(l.itemType);
        line.dispatched += l.quantity;
        line.exact &&= l.exact;
        line.dispatchedBounds = sumBounds([line.dispatchedBounds, figureBounds(l.quantity, l.shape)]);
      }
    if (entry.kind === 'ShipmentReceived' && !closed) {
      lastReceived = entry;
      for (const l of entry.lines) {
        const line = lineFor(l.itemType);
        line.received += l.quantity;
        line.exact &&= l.exact;
        line.receivedBounds = sumBounds([line.receivedBounds, figureBounds(l.quantity, l.shape)]);
      }
    }
    if (entry.kind === 'ShipmentClosed' && !closed) {
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
    shipmentId,
    from: route?.from ?? '',
    to: route?.to ?? '',
    status,
    carrier: route?.carrier,
    origin: route?.origin,
    destination: route?.destination,
    dispatchedAt: iso(dispatch.occurred),
    lastReceivedAt: lastReceived ? iso(lastReceived.occurred) : null,
    closedAt: closed ? iso(closed.occurred) : null,
    leadTimeDays: lastReceived
      ? Math.round(((lastReceived.occurred - dispatch.occurred) / 86_400_000) * 10) / 10
      : null,
    writeOffReason: closed?.reason ?? null,
    lines: all.sort((a, b) => a.itemType.localeCompare(b.itemType)),
    events: entries.map((e) => ({ type: e.kind, occurredAt: iso(e.occurred), position: e.position })),
  };
}
