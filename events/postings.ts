/**
 * Double entry: every movement takes from one account and gives to another.
 * This file turns an event into its postings, the single place where the
 * meaning of each event type for stock and headcount is written down. The
 * write-side book and every projection fold the same postings.
 */
import type { FoldableEvent, Line, Quantity } from './index.js';
import { EXACT_SHAPE, shapeOf, type FigureShape } from './precision.js';

/** Accounts that are not parties: goods on the way, and goods gone for good. */
export const transitAccount = (shipmentId: string) => `transit:${shipmentId}`;
export const writtenOffAccount = (reason: string) => `written-off:${reason}`;
export const expendedAccount = (reason: string) => `expended:${reason}`;
export const isTransitAccount = (account: string) => account.startsWith('transit:');

export interface Posting {
  from: string;
  to: string;
  itemType: string;
  value: number;
  /** False when the source gave only a bound or an estimate. */
  exact: boolean;
  /** The figure's precision and upper bound, for the projections' bounds. */
  shape: FigureShape;
  serials: readonly string[];
}

export interface HeadcountDelta {
  country: string;
  role: string;
  contingent: string | undefined;
  location: string | undefined;
  delta: number;
  exact: boolean;
  shape: FigureShape;
}

/** One item type of a shipment: how much was dispatched, received and written off. */
export interface ShipmentLine {
  itemType: string;
  dispatched: number;
  received: number;
  writtenOff: number;
}

/**
 * What the postings of shipment events need to know about their shipment.
 * Lines are a short array, not maps: a million-event ledger holds tens of
 * thousands of shipments, twice (book and projections), and three maps each
 * cost four times the memory.
 */
export interface ShipmentLedger {
  from: string;
  to: string;
  lines: ShipmentLine[];
  closed: boolean;
  writeOffReason: string | undefined;
  /** Receipts not reversed; a dispatch cannot be reversed while any remain. */
  activeReceipts: number;
}

export type ShipmentLookup = (shipmentId: string) => ShipmentLedger | undefined;

/** A reversal carries the event it reverses, resolved at the edge, so folds stay pure. */
export type FoldEvent = FoldableEvent & { target?: FoldableEvent };

export const isExact = (quantity: Quantity) => quantity.precision === 'exact';

/** Most lines carry no serials: one empty list for all of them, not one per posting. */
const NO_SERIALS: readonly string[] = Object.freeze([]);

const linePostings = (from: string, to: string, lines: readonly Line[]): Posting[] =>
  lines.map((line) => ({
    from,
    to,
    itemType: line.itemType,
    value: line.quantity.value,
    exact: isExact(line.quantity),
    shape: shapeOf(line.quantity),
    serials: line.serials ? line.serials.map((s) => s.serial) : NO_SERIALS,
  }));

export const shipmentLine = (shipment: ShipmentLedger, itemType: string): ShipmentLine | undefined =>
  shipment.lines.find((line) => line.itemType === itemType);

/** Outstanding = dispatched, less what arrived, less what was written off. */
export const lineOutstanding = (line: ShipmentLine) => line.dispatched - line.received - line.writtenOff;

function closingPostings(
  event: Extract<FoldableEvent, { type: 'ShipmentClosed' }>,
  shipment: ShipmentLedger | undefined,
): Posting[] {
  if (!shipment) return [];
  const account = transitAccount(event.data.shipmentId);
  const postings: Posting[] = [];
  for (const line of shipment.lines) {
    const value = lineOutstanding(line);
    if (value > 0)
      postings.push({
        from: account,
        to: writtenOffAccount(event.data.writeOffReason),
        itemType: line.itemType,
        value,
        exact: true,
        shape: EXACT_SHAPE,
        serials: [],
      });
  }
  return postings;
}

/** The postings an event makes, given the state of its shipment. */
export function postingsOf(event: FoldableEvent, shipments: ShipmentLookup): Posting[] {
  switch (event.type) {
    case 'ShipmentDispatched':
      return linePostings(event.data.from, transitAccount(event.data.shipmentId), event.data.lines);
    case 'ShipmentReceived': {
      const shipment = shipments(event.data.shipmentId);
      return shipment ? linePostings(transitAccount(event.data.shipmentId), shipment.to, event.data.lines) : [];
    }
    case 'ShipmentClosed':
      return closingPostings(event, shipments(event.data.shipmentId));
    case 'DonationReceived':
      return linePostings(event.data.donor, event.data.recipient, event.data.lines);
    case 'MaterielTransferred':
      return linePostings(event.data.from, event.data.to, event.data.lines);
    case 'MaterielSeized':
      return linePostings(event.data.from, event.data.by, event.data.lines);
    case 'MaterielExpended':
      return linePostings(event.data.holder, expendedAccount(event.data.reason), event.data.lines);
    case 'PartyRegistered':
    case 'ItemTypeRegistered':
    case 'DonationPledged':
    case 'PersonnelDeployed':
    case 'PersonnelDeparted':
    case 'PersonnelPledged':
    case 'EntryReversed':
      return [];
    default:
      return assertNever(event);
  }
}

/**
 * The postings that undo an earlier event. A closed shipment is reopened by
 * moving back exactly what its closing wrote off, as recorded at the time.
 */
export function reversingPostings(target: FoldableEvent, shipments: ShipmentLookup): Posting[] {
  if (target.type === 'ShipmentClosed') {
    const shipment = shipments(target.data.shipmentId);
    if (!shipment) return [];
    return shipment.lines
      .filter((line) => line.writtenOff > 0)
      .map((line) => ({
        from: writtenOffAccount(target.data.writeOffReason),
        to: transitAccount(target.data.shipmentId),
        itemType: line.itemType,
        value: line.writtenOff,
        exact: true,
        shape: EXACT_SHAPE,
        serials: [],
      }));
  }
  return postingsOf(target, shipments).map((p) => ({ ...p, from: p.to, to: p.from }));
}

export function headcountDeltas(event: FoldableEvent): HeadcountDelta[] {
  switch (event.type) {
    case 'PersonnelDeployed':
    case 'PersonnelDeparted': {
      const sign = event.type === 'PersonnelDeployed' ? 1 : -1;
      return [
        {
          country: event.data.country,
          role: event.data.role,
          contingent: event.data.contingent,
          location: event.type === 'PersonnelDeployed' ? event.data.location : undefined,
          delta: sign * event.data.count.value,
          exact: isExact(event.data.count),
          shape: shapeOf(event.data.count),
        },
      ];
    }
    default:
      return [];
  }
}

export const reversingHeadcount = (target: FoldableEvent): HeadcountDelta[] =>
  headcountDeltas(target).map((d) => ({ ...d, delta: -d.delta }));

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
