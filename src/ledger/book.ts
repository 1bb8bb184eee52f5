/**
 * The book: the write side's view of the ledger, just what the rules need to
 * decide — parties, item types, on-hand stock by account, headcount, shipments,
 * serial custody and which entries were reversed. It is folded from the same
 * events as the projections, in global order.
 *
 * `evolveBook` mutates the book it is given and returns it: rebuilding from a
 * million events must not copy maps per event. Only the writer owns a book.
 */
import type { ItemCategory, PartyKind } from '../../events/index.js';
import { EXTERNAL_PARTY_KINDS } from '../../events/party-kinds.js';
import {
  headcountDeltas,
  postingsOf,
  reversingHeadcount,
  reversingPostings,
  type FoldEvent,
  type HeadcountDelta,
  type Posting,
  type ShipmentLedger,
} from '../../events/postings.js';
import { evolveShipments } from './shipments.js';

export const LEDGER_STREAM = 'ledger';

export interface Book {
  /** Global position of the last event folded in. */
  position: number;
  /** Revision of the ledger stream at that position; undefined before the first event. */
  revision: number | undefined;
  parties: Map<string, { kind: PartyKind; name: string }>;
  itemTypes: Map<string, { category: ItemCategory; name: string; unit: string }>;
  /** account → item type → quantity on hand (lower bound when inexact). */
  stock: Map<string, Map<string, number>>;
  /** `country/role` → deployed headcount. */
  headcount: Map<string, number>;
  shipments: Map<string, ShipmentLedger>;
  /** serial → account that holds it now. */
  serials: Map<string, string>;
  reversed: Set<string>;
  /**
   * Running total of every amount recorded: postings, headcount changes and pledges, reversals and
   * closings included. Every figure the ledger keeps is bounded by it (see limits.ts).
   */
  amountRecorded: number;
}

export const initialBook = (): Book => ({
  position: 0,
  revision: undefined,
  parties: new Map(),
  itemTypes: new Map(),
  stock: new Map(),
  headcount: new Map(),
  shipments: new Map(),
  serials: new Map(),
  reversed: new Set(),
  amountRecorded: 0,
});

export const headcountKey = (country: string, role: string) => `${country}/${role}`;

export const onHand = (book: Book, account: string, itemType: string) => book.stock.get(account)?.get(itemType) ?? 0;

/** Donors, armed groups and the write-off accounts stand outside the books and may go negative. */
export const isExternalAccount = (book: Book, account: string): boolean => {
  const party = book.parties.get(account);
  if (party) return EXTERNAL_PARTY_KINDS.has(party.kind);
  return account.startsWith('written-off:') || account.startsWith('expended:');
};

/**
 * Undo steps for a tentative evolve. The writer folds a proposal into the book
 * before it is stored, so the next proposal of the same batch sees it; if the
 * batch is refused or the append fails, the steps run in reverse.
 */
export type UndoLog = (() => void)[];

function setEntry<K, V>(map: Map<K, V>, key: K, value: V, undo: UndoLog | undefined): void {
  if (undo) {
    const had = map.has(key);
    const old = map.get(key);
    undo.push(had ? () => map.set(key, old as V) : () => map.delete(key));
  }
  map.set(key, value);
}

function deleteEntry<K, V>(map: Map<K, V>, key: K, undo: UndoLog | undefined): void {
  if (!map.has(key)) return;
  if (undo) {
    const old = map.get(key) as V;
    undo.push(() => map.set(key, old));
  }
  map.delete(key);
}

function applyPosting(book: Book, posting: Posting, undo: UndoLog | undefined): void {
  // What comes to zero is dropped: every shipment passes through an account of its own.
  const move = (account: string, delta: number) => {
    let items = book.stock.get(account);
    if (!items) setEntry(book.stock, account, (items = new Map()), undo);
    const quantity = (items.get(posting.itemType) ?? 0) + delta;
    if (quantity !== 0) setEntry(items, posting.itemType, quantity, undo);
    else {
      deleteEntry(items, posting.itemType, undo);
      if (items.size === 0) deleteEntry(book.stock, account, undo);
    }
  };
  move(posting.from, -posting.value);
  move(posting.to, posting.value);
  for (const serial of posting.serials) setEntry(book.serials, serial, posting.to, undo);
}

function applyHeadcount(book: Book, delta: HeadcountDelta, undo: UndoLog | undefined): void {
  const key = headcountKey(delta.country, delta.role);
  setEntry(book.headcount, key, (book.headcount.get(key) ?? 0) + delta.delta, undo);
}

const cloneShipment = (s: ShipmentLedger): ShipmentLedger => ({ ...s, lines: s.lines.map((line) => ({ ...line })) });

function shipmentIdOf(event: FoldEvent): string | undefined {
  const subject = event.type === 'EntryReversed' ? event.target : event;
  return subject && 'shipmentId' in subject.data ? subject.data.shipmentId : undefined;
}

/** Pledges move no stock or people, but donors' and countries' pledged totals sum them. */
const pledged = (event: FoldEvent): number => {
  if (event.type === 'DonationPledged') return event.data.lines.reduce((sum, line) => sum + line.quantity.value, 0);
  if (event.type === 'PersonnelPledged') return event.data.count?.value ?? 0;
  return 0;
};

/** Folds one event into the book. With an undo log, records how to take it back. */
export function evolveBook(book: Book, event: FoldEvent, undo?: UndoLog): Book {
  const lookup = (id: string) => book.shipments.get(id);
  const before = undo && { position: book.position, revision: book.revision, amountRecorded: book.amountRecorded };
  // The same amounts limits.ts `amountsOf` counts, summed here from the postings folded anyway.
  let amount = 0;
  if (event.type === 'PartyRegistered') setEntry(book.parties, event.data.partyId, event.data, undo);
  if (event.type === 'ItemTypeRegistered') setEntry(book.itemTypes, event.data.itemType, event.data, undo);
  if (event.type === 'EntryReversed') {
    if (event.target) {
      for (const p of reversingPostings(event.target, lookup)) {
        applyPosting(book, p, undo);
        amount += p.value;
      }
      for (const d of reversingHeadcount(event.target)) {
        applyHeadcount(book, d, undo);
        amount += Math.abs(d.delta);
      }
      amount += pledged(event.target);
    }
    if (undo) undo.push(() => book.reversed.delete(event.data.eventId));
    book.reversed.add(event.data.eventId);
  } else {
    for (const p of postingsOf(event, lookup)) {
      applyPosting(book, p, undo);
      amount += p.value;
    }
    for (const d of headcountDeltas(event)) {
      applyHeadcount(book, d, undo);
      amount += Math.abs(d.delta);
    }
    amount += pledged(event);
  }
  book.amountRecorded += amount;
  const shipmentId = shipmentIdOf(event);
  if (undo && shipmentId !== undefined) {
    // Shipments are mutated in place by the fold: keep a copy to put back.
    const before = book.shipments.get(shipmentId);
    const copy = before && cloneShipment(before);
    undo.push(() => (copy ? book.shipments.set(shipmentId, copy) : book.shipments.delete(shipmentId)));
  }
  evolveShipments(book.shipments, event);
  if (before) undo.push(() => Object.assign(book, before));
  book.position = event.globalPosition;
  if (event.stream === LEDGER_STREAM) book.revision = event.streamRevision;
  return book;
}

export function rollBack(undo: UndoLog): void {
  for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
  undo.length = 0;
}
