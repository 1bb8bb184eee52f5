/**
 * Chain of custody: for every serial-numbered item, each holder it passed
 * through, from when to when, by which event. Like shipments, a serial's
 * history is short and folded per request for any asOf and knownAt.
 *
 * Kept compact, since there may be many serials: a movement is a record of
 * numbers in a keyed log (accounts interned), and the event's id and type are
 * looked up by position when a chain is shown.
 */
import type { FoldableEvent, Line } from '../events/index.js';
import { parseInstant } from '../events/instant.js';
import { emptyInterned, internId, type Interned } from './time-index/interned.js';
import { KeyedLog, type KeyedLogExport } from './time-index/keyed-log.js';
import { postingsOf, type FoldEvent, type ShipmentLookup } from '../events/postings.js';

/**
 * Every serial's moves, as records in a keyed log (see keyed-log.ts), accounts and item types
 * interned:
 * - first, [SEEN, item type, assigned (1/0)];
 * - a move: [MOVE, position, occurred ms, from account, to account];
 * - a reversal of a move: [REVERSAL, reversed event's position, reversal's position].
 */
export interface Custody {
  log: KeyedLog;
  accounts: Interned;
  itemTypes: Interned;
}

const SEEN = 0;
const MOVE = 1;
const REVERSAL = 2;

export const emptyCustody = (): Custody => ({
  log: new KeyedLog(),
  accounts: emptyInterned(),
  itemTypes: emptyInterned(),
});

/** As plain data, for a checkpoint. */
export interface CustodyExport {
  log: KeyedLogExport;
  accounts: Interned;
  itemTypes: Interned;
}

/** `asParts`: the log's columns as their own chunks (see KeyedLog.export), for a checkpoint written at once. */
export const exportCustody = (custody: Custody, asParts = false): CustodyExport => ({
  log: custody.log.export(asParts),
  accounts: custody.accounts,
  itemTypes: custody.itemTypes,
});

export const restoreCustody = (data: CustodyExport): Custody => ({
  log: KeyedLog.from(data.log),
  accounts: data.accounts,
  itemTypes: data.itemTypes,
});

const linesOf = (event: FoldableEvent): readonly Line[] => ('lines' in event.data ? event.data.lines : []);
const hasSerials = (lines: readonly Line[]) =>
  lines.some((line) => line.serials !== undefined && line.serials.length > 0);

export function evolveCustody(custody: Custody, event: FoldEvent, shipments: ShipmentLookup): Custody {
  if (event.type === 'EntryReversed') {
    const target = event.target;
    if (!target || !hasSerials(linesOf(target))) return custody;
    for (const line of linesOf(target))
      for (const s of line.serials ?? [])
        if (custody.log.has(s.serial))
          custody.log.append(s.serial, [REVERSAL, target.globalPosition, event.globalPosition]);
    return custody;
  }
  const lines = linesOf(event);
  if (!hasSerials(lines)) return custody;
  const postings = postingsOf(event, shipments);
  const occurred = parseInstant(event.occurredAt);
  for (const [index, posting] of postings.entries()) {
    const serials = lines[index]?.serials;
    if (!serials) continue;
    const from = internId(custody.accounts, posting.from);
    const to = internId(custody.accounts, posting.to);
    for (const s of serials) {
      if (!custody.log.has(s.serial))
        custody.log.append(s.serial, [SEEN, internId(custody.itemTypes, posting.itemType), s.assigned ? 1 : 0]);
      custody.log.append(s.serial, [MOVE, event.globalPosition, occurred, from, to]);
    }
  }
  return custody;
}

export interface CustodyLink {
  holder: string;
  receivedFrom: string;
  from: string;
  until: string | null;
  position: number;
}

export interface CustodyView {
  serial: string;
  itemType: string;
  assigned: boolean;
  holder: string | null;
  chain: CustodyLink[];
}

/** The serial's chain as of `asOf` (ms), as known at position `knownAt`; undefined if it was not seen by then. */
export function custodyAt(custody: Custody, serial: string, asOf: number, knownAt: number): CustodyView | undefined {
  if (!custody.log.has(serial)) return undefined;
  const records = custody.log.records(serial);
  const reversed = new Set<number>();
  for (const r of records) if (r[0] === REVERSAL && r[2]! <= knownAt) reversed.add(r[1]!);
  const seen = records[0]!;
  const moves: { position: number; occurred: number; from: number; to: number }[] = [];
  for (const r of records) {
    if (r[0] !== MOVE) continue;
    const [, position, occurred, from, to] = r as [number, number, number, number, number];
    if (position <= knownAt && occurred <= asOf && !reversed.has(position))
      moves.push({ position, occurred, from, to });
  }
  if (moves.length === 0) return undefined;
  moves.sort((a, b) => a.occurred - b.occurred || a.position - b.position);
  const chain = moves.map((m, i) => ({
    holder: custody.accounts.names[m.to]!,
    receivedFrom: custody.accounts.names[m.from]!,
    from: new Date(m.occurred).toISOString(),
    until: i + 1 < moves.length ? new Date(moves[i + 1]!.occurred).toISOString() : null,
    position: m.position,
  }));
  return {
    serial,
    itemType: custody.itemTypes.names[seen[1]!]!,
    assigned: seen[2] === 1,
    holder: chain[chain.length - 1]!.holder,
    chain,
  };
}
