/**
 * Short histories for many keys (a shipment's events, a serial's moves): records of numbers kept in
 * shared typed columns, each key's records linked in the order they came, instead of an object and
 * an array per key. On a long history there are tens of thousands of keys; per-key objects cost
 * several times the numbers they hold, and all of it on the garbage-collected heap.
 */
import { Column, columnData, float64s, int32s, type ColumnData } from './column.js';

/** A KeyedLog as plain data: what a checkpoint stores. */
export interface KeyedLogExport {
  keys: string[];
  first: ColumnData<Int32Array>;
  last: ColumnData<Int32Array>;
  data: ColumnData<Float64Array>;
}

export class KeyedLog {
  private readonly slots = new Map<string, number>();
  private readonly keyList: string[] = [];
  /** Per key (by slot): the offset of its first and of its last record. */
  private first: Column<Int32Array> = new Column(int32s);
  private last: Column<Int32Array> = new Column(int32s);
  /** Records, back to back: [offset of the key's next record or -1, length, ...values]. */
  private data: Column<Float64Array> = new Column(float64s);

  get size(): number {
    return this.keyList.length;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** Every key, in the order first seen. */
  keys(): readonly string[] {
    return this.keyList;
  }

  append(key: string, values: readonly number[]): void {
    const offset = this.data.length;
    this.data.push(-1);
    this.data.push(values.length);
    for (const value of values) this.data.push(value);
    const slot = this.slots.get(key);
    if (slot === undefined) {
      this.slots.set(key, this.keyList.length);
      this.keyList.push(key);
      this.first.push(offset);
      this.last.push(offset);
    } else {
      this.data.set(this.last.at(slot), offset);
      this.last.set(slot, offset);
    }
  }

  /** The key's records, in the order they were appended; none for an unknown key. */
  records(key: string): number[][] {
    const slot = this.slots.get(key);
    const records: number[][] = [];
    if (slot === undefined) return records;
    for (let offset = this.first.at(slot); offset >= 0; offset = this.data.at(offset)) {
      const length = this.data.at(offset + 1);
      const record: number[] = [];
      for (let i = 0; i < length; i++) record.push(this.data.at(offset + 2 + i));
      records.push(record);
    }
    return records;
  }

  /**
   * The log as plain data: each column copied into one array, or (`asParts`) its own chunks, for a
   * checkpoint written out before anything more is appended: an append links the key's last record
   * to the new one in place, so later appends change the views. At ten million events the shipments'
   * and serials' logs are about 240 MB, which a save copied and held until it was written.
   */
  export(asParts = false): KeyedLogExport {
    return {
      keys: [...this.keyList],
      first: columnData(this.first, asParts),
      last: columnData(this.last, asParts),
      data: columnData(this.data, asParts),
    };
  }

  static from(data: KeyedLogExport): KeyedLog {
    const log = new KeyedLog();
    data.keys.forEach((key, slot) => {
      log.slots.set(key, slot);
      log.keyList.push(key);
    });
    log.first = Column.of(int32s, data.first);
    log.last = Column.of(int32s, data.last);
    log.data = Column.of(float64s, data.data);
    return log;
  }
}
