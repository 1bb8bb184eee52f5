/**
 * Chain of custody: for every serial-numbered item, each holder it passed
 * through, from when to when, by which event. Like shipments, a serial's
 * history is short and folded per request for any asOf and knownAt.
 *
 * Kept compact, since there may be many serials: a movement is four numbers
 * (position, occurrence, from, to; accounts interned), and the event's id and
 * type are looked up by position when a chain is shown.
 */
import type { LedgerEvent, Line } from '../events/index.js';
import { emptyInterned, internId, type Interned } from './interned.js';
import { postingsOf, type FoldEvent, type ShipmentLookup } from '../src/ledger/postings.js';

export interface SerialHistory {
  itemType: string;
  assigned: boolean;
  /** [position, occurred ms, from account id, to account id] per movement, flattened. */
  moves: number[];
  /** [reversed event's position, reversal's position] pairs, flattened. */
  reversals: number[];
}

export interface Custody {
  serials: Map<string, SerialHistory>;
  accounts: Interned;
}

export const emptyCustody = (): Custody => ({ serials: new Map(), accounts: emptyInterned() });

const linesOf = (event: LedgerEvent): readonly Line[] => ('lines' in event.data ? event.data.lines : []);
const hasSerials = (lines: readonly Line[]) =>
  lines.some((line) => line.serials !== undefined && line.serials.length > 0);

export function evolveCustody(custody: Custody, event: FoldEvent, shipments: ShipmentLookup): Custody {
  if (event.type === 'EntryReversed') {
    const target = event.target;
    if (!target || !hasSerials(linesOf(target))) return custody;
    for (const line of linesOf(target))
      for (const s of line.serials ?? [])
        custody.serials.get(s.serial)?.reversals.push(target.globalPosition, event.globalPosition);
    return custody;
  }
  const lines = linesOf(event);
  if (!hasSerials(lines)) return custody;
  const postings = postingsOf(event, shipments);
  const occurred = Date.parse(event.occurredAt);
  for (const [index, posting] of postings.entries()) {
    const serials = lines[index]?.serials;
    if (!serials) continue;
    const from = internId(custody.accounts, posting.from);
    const to = internId(custody.accounts, posting.to);
    for (const s of serials) {
      let history = custody.serials.get(s.serial);
      if (!history)
        custody.serials.set(
          s.serial,
          (history = { itemType: posting.itemType, assigned: s.assigned, moves: [], reversals: [] }),
        );
      history.moves.push(event.globalPosition, occurred, from, to);
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
  const history = custody.serials.get(serial);
  if (!history) return undefined;
  const reversed = new Set<number>();
  for (let i = 0; i < history.reversals.length; i += 2)
    if (history.reversals[i + 1]! <= knownAt) reversed.add(history.reversals[i]!);
  const moves: { position: number; occurred: number; from: number; to: number }[] = [];
  for (let i = 0; i < history.moves.length; i += 4) {
    const [position, occurred, from, to] = history.moves.slice(i, i + 4) as [number, number, number, number];
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
    itemType: history.itemType,
    assigned: history.assigned,
    holder: chain[chain.length - 1]!.holder,
    chain,
  };
}
