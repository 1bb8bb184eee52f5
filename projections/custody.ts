/**
 * Chain of custody: for every serial-numbered item, each holder it passed
 * through, from when to when, by which event. Like shipments, a serial's
 * history is short and folded per request for any asOf and knownAt.
 */
import type { LedgerEvent, Line } from '../events/index.js';
import { postingsOf, type FoldEvent, type ShipmentLookup } from '../src/ledger/postings.js';

interface Movement {
  eventId: string;
  eventType: string;
  occurred: number;
  occurredAt: string;
  position: number;
  from: string;
  to: string;
}

export interface SerialHistory {
  serial: string;
  itemType: string;
  assigned: boolean;
  movements: Movement[];
  reversals: { eventId: string; position: number }[];
}

export type Custody = Map<string, SerialHistory>;

const linesOf = (event: LedgerEvent): readonly Line[] => ('lines' in event.data ? event.data.lines : []);

export function evolveCustody(custody: Custody, event: FoldEvent, shipments: ShipmentLookup): Custody {
  if (event.type === 'EntryReversed') {
    const target = event.target;
    if (!target) return custody;
    for (const line of linesOf(target))
      for (const s of line.serials ?? [])
        custody.get(s.serial)?.reversals.push({ eventId: target.id, position: event.globalPosition });
    return custody;
  }
  const postings = postingsOf(event, shipments);
  const lines = linesOf(event);
  for (const [index, posting] of postings.entries()) {
    const line = lines[index];
    for (const s of line?.serials ?? []) {
      let history = custody.get(s.serial);
      if (!history)
        custody.set(
          s.serial,
          (history = {
            serial: s.serial,
            itemType: posting.itemType,
            assigned: s.assigned,
            movements: [],
            reversals: [],
          }),
        );
      history.movements.push({
        eventId: event.id,
        eventType: event.type,
        occurred: Date.parse(event.occurredAt),
        occurredAt: event.occurredAt,
        position: event.globalPosition,
        from: posting.from,
        to: posting.to,
      });
    }
  }
  return custody;
}

export interface CustodyView {
  serial: string;
  itemType: string;
  assigned: boolean;
  holder: string | null;
  chain: {
    holder: string;
    from: string;
    until: string | null;
    eventId: string;
    eventType: string;
    receivedFrom: string;
  }[];
}

export function custodyAt(history: SerialHistory, asOf: number, knownAt: number): CustodyView | undefined {
  const reversed = new Set(history.reversals.filter((r) => r.position <= knownAt).map((r) => r.eventId));
  const moves = history.movements
    .filter((m) => m.position <= knownAt && m.occurred <= asOf && !reversed.has(m.eventId))
    .sort((a, b) => a.occurred - b.occurred || a.position - b.position);
  if (moves.length === 0) return undefined;
  const chain = moves.map((m, i) => ({
    holder: m.to,
    from: m.occurredAt,
    until: moves[i + 1]?.occurredAt ?? null,
    eventId: m.eventId,
    eventType: m.eventType,
    receivedFrom: m.from,
  }));
  return {
    serial: history.serial,
    itemType: history.itemType,
    assigned: history.assigned,
    holder: chain[chain.length - 1]?.holder ?? null,
    chain,
  };
}
