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
  const { strings, shipments: columns, serials: savedSerials, ...rest } = saved;
  const shipments = new Map<string, ShipmentLedger>();
  for (let i = 0; i < columns.ids.length; i++) {
    const lines: ShipmentLedger['lines'] = [];
    for (let j = columns.lineStart[i]!; j < columns.lineStart[i + 1]!; j++)
      lines.push({
        itemType: strings[columns.itemType[j]!]!,
        dispatched: columns.dispatched[j]!,
        received: columns.received[j]!,
        writtenOff: columns.writtenOff[j]!,
      });
    const reason = columns.writeOffReason[i]!;
    shipments.set(columns.ids[i]!, {
      from: strings[columns.from[i]!]!,
      to: strings[columns.to[i]!]!,
      lines,
      closed: columns.closed[i] === 1,
      writeOffReason: reason === NONE ? undefined : strings[reason]!,
      activeReceipts: columns.activeReceipts[i]!,
    });
  }
  const serials = new Map<string, string>();
  for (let i = 0; i < savedSerials.ids.length; i++)
    serials.set(savedSerials.ids[i]!, strings[savedSerials.holders[i]!]!);
  return { ...rest, shipments, serials };
}
