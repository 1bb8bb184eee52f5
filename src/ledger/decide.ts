/**
 * The ledger's rules as one pure function: given the book and a proposed
 * event, either the events to record or a named rejection. No I/O: the
 * writer resolves what a reversal points at and passes the clock's `now`.
 */
import type { FoldableEvent, LedgerEvent, Line } from '../../events/index.js';
import type { EventDataOf, EventType } from '../../events/index.js';
import { isExternalAccount, onHand, headcountKey, type Book } from './book.js';
import {
  headcountDeltas,
  isTransitAccount,
  lineOutstanding,
  postingsOf,
  shipmentLine,
  reversingHeadcount,
  reversingPostings,
  type HeadcountDelta,
  type Posting,
} from '../../events/postings.js';
import { checkDates, checkSafeTotal } from './limits.js';
import { reject, type Rejection } from './rules.js';
import type { EventMetadata } from '../../events/index.js';

/** A proposed event, normalised: id chosen, times as UTC instants, metadata gathered. */
export type Proposal = {
  [T in EventType]: {
    id: string;
    type: T;
    schemaVersion: number;
    occurredAt: string;
    data: EventDataOf<T>;
    metadata: EventMetadata;
    /** True when the server chose the id (UUIDv7): such an event cannot be a retry. Not stored. */
    idAssigned?: boolean;
  };
}[EventType];

export interface DecisionContext {
  now: Date;
  /** For EntryReversed: the stored event it points at, if it exists. */
  target?: FoldableEvent | undefined;
}

export type Decision = { ok: true; events: Proposal[] } | { ok: false; rejection: Rejection };

const accept = (proposal: Proposal): Decision => ({ ok: true, events: [proposal] });
const refuse = (rejection: Rejection): Decision => ({ ok: false, rejection });

export function decide(proposal: Proposal, book: Book, context: DecisionContext): Decision {
  const problem =
    checkDates(proposal, context.now) ??
    findProblem(proposal, book, context) ??
    checkSafeTotal(
      proposal.type === 'EntryReversed' ? { ...asStored(proposal), target: context.target } : asStored(proposal),
      book,
    );
  return problem ? refuse(problem) : accept(proposal);
}

function findProblem(p: Proposal, book: Book, context: DecisionContext): Rejection | undefined {
  switch (p.type) {
    case 'PartyRegistered':
      return book.parties.has(p.data.partyId)
        ? reject('party-already-registered', `party ${p.data.partyId} is already registered`, 'data.partyId', {
            partyId: p.data.partyId,
          })
        : undefined;
    case 'ItemTypeRegistered':
      return book.itemTypes.has(p.data.itemType)
        ? reject(
            'item-type-already-registered',
            `item type ${p.data.itemType} is already in the catalogue`,
            'data.itemType',
            { itemType: p.data.itemType },
          )
        : undefined;
    case 'ShipmentDispatched':
      return (
        requireParties(book, { from: p.data.from, to: p.data.to }) ??
        requireItemTypes(book, p.data.lines) ??
        (book.shipments.has(p.data.shipmentId)
          ? reject(
              'shipment-already-exists',
              `shipment ${p.data.shipmentId} was already dispatched`,
              'data.shipmentId',
              {
                shipmentId: p.data.shipmentId,
              },
            )
          : undefined) ??
        checkPostings(
          book,
          postingsOf(asStored(p), (id) => book.shipments.get(id)),
        )
      );
    case 'ShipmentReceived':
      return (
        checkReceipt(p.data, book) ??
        checkPostings(
          book,
          postingsOf(asStored(p), (id) => book.shipments.get(id)),
        )
      );
    case 'ShipmentClosed': {
      const shipment = book.shipments.get(p.data.shipmentId);
      if (!shipment) return unknownShipment(p.data.shipmentId);
      return shipment.closed ? closedShipment(p.data.shipmentId) : undefined;
    }
    case 'DonationReceived':
    case 'DonationPledged':
      return (
        requireParties(book, { donor: p.data.donor, recipient: p.data.recipient }) ??
        requireItemTypes(book, p.data.lines) ??
        checkPostings(
          book,
          postingsOf(asStored(p), () => undefined),
        )
      );
    case 'MaterielTransferred':
      return (
        requireParties(book, { from: p.data.from, to: p.data.to }) ??
        requireItemTypes(book, p.data.lines) ??
        checkPostings(
          book,
          postingsOf(asStored(p), () => undefined),
        )
      );
    case 'MaterielSeized':
      return (
        requireParties(book, { from: p.data.from, by: p.data.by }) ??
        requireItemTypes(book, p.data.lines) ??
        checkPostings(
          book,
          postingsOf(asStored(p), () => undefined),
        )
      );
    case 'MaterielExpended':
      return (
        requireParties(book, { holder: p.data.holder }) ??
        requireItemTypes(book, p.data.lines) ??
        checkPostings(
          book,
          postingsOf(asStored(p), () => undefined),
        )
      );
    case 'PersonnelDeployed':
    case 'PersonnelPledged':
      return p.data.contingent ? requireParties(book, { contingent: p.data.contingent }) : undefined;
    case 'PersonnelDeparted':
      return (
        (p.data.contingent ? requireParties(book, { contingent: p.data.contingent }) : undefined) ??
        checkHeadcount(book, headcountDeltas(asStored(p)))
      );
    case 'EntryReversed':
      return checkReversal(p.data.eventId, book, context.target);
  }
}

/** Decide works on proposals; postings are defined on stored events, whose extra fields they never read. */
const asStored = (p: Proposal) => p as unknown as LedgerEvent;

function requireParties(book: Book, parties: Record<string, string>): Rejection | undefined {
  for (const [field, partyId] of Object.entries(parties))
    if (!book.parties.has(partyId))
      return reject(
        'party-unknown',
        `party ${partyId} is not registered; post a PartyRegistered first`,
        `data.${field}`,
        {
          partyId,
        },
      );
  return undefined;
}

function requireItemTypes(book: Book, lines: readonly Line[]): Rejection | undefined {
  for (const [index, line] of lines.entries()) {
    if (!book.itemTypes.has(line.itemType))
      return reject(
        'item-type-unknown',
        `item type ${line.itemType} is not in the catalogue; post an ItemTypeRegistered first`,
        `data.lines[${index}].itemType`,
        { itemType: line.itemType },
      );
  }
  return undefined;
}

const unknownShipment = (shipmentId: string) =>
  reject('shipment-unknown', `no shipment ${shipmentId} was dispatched`, 'data.shipmentId', { shipmentId });
const closedShipment = (shipmentId: string) =>
  reject('shipment-closed', `shipment ${shipmentId} is closed`, 'data.shipmentId', { shipmentId });

/** A shipment never receives more than was dispatched, and nothing once closed. */
function checkReceipt(data: EventDataOf<'ShipmentReceived'>, book: Book): Rejection | undefined {
  const shipment = book.shipments.get(data.shipmentId);
  if (!shipment) return unknownShipment(data.shipmentId);
  if (shipment.closed) return closedShipment(data.shipmentId);
  const asked = new Map<string, number>();
  for (const [index, line] of data.lines.entries()) {
    const carried = shipmentLine(shipment, line.itemType);
    if (!carried)
      return reject(
        'receipt-item-not-dispatched',
        `shipment ${data.shipmentId} carried no ${line.itemType}`,
        `data.lines[${index}].itemType`,
        { shipmentId: data.shipmentId, itemType: line.itemType },
      );
    const total = (asked.get(line.itemType) ?? 0) + line.quantity.value;
    asked.set(line.itemType, total);
    const left = lineOutstanding(carried);
    if (total > left)
      return reject(
        'receipt-exceeds-dispatch',
        `shipment ${data.shipmentId} has ${left} ${line.itemType} still to arrive, the receipt says ${total}`,
        `data.lines[${index}].quantity.value`,
        {
          shipmentId: data.shipmentId,
          itemType: line.itemType,
          dispatched: carried.dispatched,
          alreadyReceived: carried.received,
          asked: total,
        },
      );
  }
  return undefined;
}

/**
 * Conservation: no holder inside the books ends below zero of any item, and a
 * serial-numbered item moves only from the party holding it.
 */
type FieldOf = (index: number, leaf: 'quantity.value' | 'serials') => string;
const lineField: FieldOf = (index, leaf) => `data.lines[${index}].${leaf}`;

function checkPostings(book: Book, postings: readonly Posting[], fieldOf: FieldOf = lineField): Rejection | undefined {
  const debits = new Map<string, number>();
  for (const [index, posting] of postings.entries()) {
    if (!isExternalAccount(book, posting.from) && !isTransitAccount(posting.from)) {
      const key = `${posting.from}\u0000${posting.itemType}`;
      const asked = (debits.get(key) ?? 0) + posting.value;
      debits.set(key, asked);
      const available = onHand(book, posting.from, posting.itemType);
      if (asked > available)
        return reject(
          'holder-stock-insufficient',
          `${posting.from} has ${available} ${posting.itemType} on hand, ${asked} asked`,
          fieldOf(index, 'quantity.value'),
          { holder: posting.from, itemType: posting.itemType, asked, onHand: available },
        );
    }
    for (const serial of posting.serials) {
      const holder = book.serials.get(serial);
      // A serial seen for the first time starts its chain of custody here.
      if (holder !== undefined && holder !== posting.from)
        return reject(
          isExternalAccount(book, posting.from) ? 'serial-already-held' : 'serial-not-held',
          `serial ${serial} is held by ${holder}, not ${posting.from}`,
          fieldOf(index, 'serials'),
          { serial, heldBy: holder, movedFrom: posting.from },
        );
    }
  }
  return undefined;
}

function checkHeadcount(
  book: Book,
  deltas: readonly HeadcountDelta[],
  field = 'data.count.value',
): Rejection | undefined {
  for (const delta of deltas) {
    if (delta.delta >= 0) continue;
    const deployed = book.headcount.get(headcountKey(delta.country, delta.role)) ?? 0;
    if (deployed + delta.delta < 0)
      return reject(
        'contingent-headcount-insufficient',
        `${deployed} ${delta.role} from ${delta.country} are deployed, ${-delta.delta} would depart`,
        field,
        { country: delta.country, role: delta.role, deployed, departing: -delta.delta },
      );
  }
  return undefined;
}

/** A reversal undoes one earlier event, once, and may not leave anyone negative. */
function checkReversal(eventId: string, book: Book, target: FoldableEvent | undefined): Rejection | undefined {
  const field = 'data.eventId';
  if (!target) return reject('reversal-target-unknown', `no event ${eventId} is recorded`, field, { eventId });
  if (target.type === 'EntryReversed')
    return reject('reversal-of-reversal', `event ${eventId} is itself a reversal`, field, { eventId });
  if (target.type === 'PartyRegistered' || target.type === 'ItemTypeRegistered')
    return reject('reversal-not-supported', `a ${target.type} cannot be reversed`, field, { eventId });
  if (book.reversed.has(eventId))
    return reject('reversal-already-reversed', `event ${eventId} was already reversed`, field, { eventId });
  if (target.type === 'ShipmentDispatched') {
    const shipment = book.shipments.get(target.data.shipmentId);
    if (shipment && shipment.activeReceipts > 0)
      return reject(
        'shipment-has-receipts',
        `shipment ${target.data.shipmentId} has receipts; reverse them first`,
        field,
        { eventId, shipmentId: target.data.shipmentId },
      );
  }
  if (target.type === 'ShipmentReceived' && book.shipments.get(target.data.shipmentId)?.closed)
    return closedShipment(target.data.shipmentId);
  const lookup = (id: string) => book.shipments.get(id);
  return (
    checkPostings(book, reversingPostings(target, lookup), () => field) ??
    checkHeadcount(book, reversingHeadcount(target), field)
  );
}
