/**
 * The book as its checkpoint keeps it. Shipments (tens of thousands on a long
 * ledger) and serials are kept as columns: typed arrays of numbers, and
 * indexes into one table of the strings they repeat (parties, item types,
 * write-off reasons, holders). V8's deserializer builds an object property by
 * property and reads a string afresh at each occurrence, while a typed array
 * is one copy. At a million events, rows of arrays (format 10) took 244 ms to
 * deserialise and 121 ms to intern; see the README's figures for columns.
 */
import type { ShipmentLedger } from '../../events/postings.js';
import type { Book } from './book.js';

/** Shipment i's lines are [lineStart[i], lineStart[i + 1]); strings are indexes into `strings`. */
interface ShipmentColumns {
  ids: string[];
  from: Int32Array;
  to: Int32Array;
  closed: Uint8Array;
  /** -1: none. */
  writeOffReason: Int32Array;
  activeReceipts: Float64Array;
  lineStart: Uint32Array;
  itemType: Int32Array;
  dispatched: Float64Array;
  received: Float64Array;
  writtenOff: Float64Array;
}

export interface BookCheckpoint extends Omit<Book, 'shipments' | 'serials'> {
  /** Each distinct string the columns refer to, once. */
  strings: string[];
  shipments: ShipmentColumns;
  /** Each serial and (an index into `strings`) who holds it, in the book's order. */
  serials: { ids: string[]; holders: Int32Array };
}

const NONE = -1;

/** A copy of the book to serialise; the book itself is not changed. */
export function bookToCheckpoint(book: Book): BookCheckpoint {
  const { shipments, serials, ...rest } = book;
  const strings: string[] = [];
  const indexes = new Map<string, number>();
  const indexOf = (s: string) => {
    let index = indexes.get(s);
    if (index === undefined) {
      index = strings.length;
      strings.push(s);
      indexes.set(s, index);
    }
    return index;
  };
  const count = shipments.size;
  let lineCount = 0;
  for (const s of shipments.values()) lineCount += s.lines.length;
  const columns: ShipmentColumns = {
    ids: [],
    from: new Int32Array(count),
    to: new Int32Array(count),
    closed: new Uint8Array(count),
    writeOffReason: new Int32Array(count),
    activeReceipts: new Float64Array(count),
    lineStart: new Uint32Array(count + 1),
    itemType: new Int32Array(lineCount),
    dispatched: new Float64Array(lineCount),
    received: new Float64Array(lineCount),
    writtenOff: new Float64Array(lineCount),
  };
  let i = 0;
  let line = 0;
  for (const [id, s] of shipments) {
    columns.ids.push(id);
    columns.from[i] = indexOf(s.from);
    columns.to[i] = indexOf(s.to);
    columns.closed[i] = s.closed ? 1 : 0;
    columns.writeOffReason[i] = s.writeOffReason === undefined ? NONE : indexOf(s.writeOffReason);
    columns.activeReceipts[i] = s.activeReceipts;
    columns.lineStart[i] = line;
    for (const l of s.lines) {
      columns.itemType[line] = indexOf(l.itemType);
      columns.dispatched[line] = l.dispatched;
      columns.received[line] = l.received;
      columns.writtenOff[line++] = l.writtenOff;
    }
    i++;
  }
  columns.lineStart[count] = line;
  const serialIds: string[] = [];
  const holders = new Int32Array(serials.size);
  for (const [serial, holder] of serials) {
    holders[serialIds.length] = indexOf(holder);
    serialIds.push(serial);
  }
  return { ...rest, strings, shipments: columns, serials: { ids: serialIds, holders } };
}

export function bookFromCheckpoint(saved: BookCheckpoint): Book {
  return new BookBuilder(saved).finish();
}

/**
 * The book, built from its checkpoint a part at a time (a restart builds it between requests, after
 * the listen: 56,140 shipments at 1M events took 0.15-0.2 s in one go) or at once. `intern` gives
 * each shipment id and serial the one instance the projections restored hold.
 */
export class BookBuilder {
  private readonly shipments = new Map<string, ShipmentLedger>();
  private readonly serials = new Map<string, string>();
  private shipment = 0;
  private serial = 0;

  constructor(
    private readonly saved: BookCheckpoint,
    private readonly intern: (s: string) => string = (s) => s,
  ) {}

  /** Builds up to `count` more entries, shipments first, then serials; true while some remain. */
  step(count: number): boolean {
    const { strings, shipments: columns, serials } = this.saved;
    let budget = count;
    for (; budget > 0 && this.shipment < columns.ids.length; budget--) {
      const i = this.shipment;
      const lines: ShipmentLedger['lines'] = [];
      for (let j = columns.lineStart[i]!; j < columns.lineStart[i + 1]!; j++)
        lines.push({
          itemType: strings[columns.itemType[j]!]!,
          dispatched: columns.dispatched[j]!,
          received: columns.received[j]!,
          writtenOff: columns.writtenOff[j]!,
        });
      const reason = columns.writeOffReason[i]!;
      this.shipments.set(this.intern(columns.ids[i]!), {
        from: strings[columns.from[i]!]!,
        to: strings[columns.to[i]!]!,
        lines,
        closed: columns.closed[i] === 1,
        writeOffReason: reason === NONE ? undefined : strings[reason]!,
        activeReceipts: columns.activeReceipts[i]!,
      });
      // Counted as built only once it is: a build that throws here throws here again, never skips one.
      this.shipment = i + 1;
    }
    for (; budget > 0 && this.serial < serials.ids.length; budget--) {
      const i = this.serial;
      this.serials.set(this.intern(serials.ids[i]!), strings[serials.holders[i]!]!);
      this.serial = i + 1;
    }
    return this.shipment < columns.ids.length || this.serial < serials.ids.length;
  }

  /** The whole book: what is left is built now. */
  finish(): Book {
    while (this.step(Infinity));
    const { strings: _strings, shipments: _shipments, serials: _serials, ...rest } = this.saved;
    return { ...rest, shipments: this.shipments, serials: this.serials };
  }
}
