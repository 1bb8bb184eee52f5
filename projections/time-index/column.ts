/** Columns of numbers for long histories. */
export type TypedArray = Int8Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

/**
 * A column's numbers as plain data: one array (`export`: for another thread, or a merge), or the
 * column's own chunks in order (`parts`: for a checkpoint, written out and not kept).
 */
export type ColumnData<T extends TypedArray> = T | readonly T[];

const partsOf = <T extends TypedArray>(data: ColumnData<T>): readonly T[] =>
  ArrayBuffer.isView(data) ? [data as T] : (data as readonly T[]);

/** How many numbers `data` holds. */
export const lengthOf = (data: ColumnData<TypedArray>): number =>
  partsOf(data).reduce((sum, part) => sum + part.length, 0);

/** Whether `data` holds doubles (a widened column's). */
export const holdsDoubles = (data: ColumnData<TypedArray>): boolean => partsOf(data)[0] instanceof Float64Array;

/** Elements in each chunk after the first: 32,768 (256 kB of doubles). */
const CHUNK_BITS = 15;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
const FIRST = 1024;

/**
 * An append-only column of numbers in typed arrays: off the V8 heap, no boxing, a third of a plain
 * array for small integers.
 *
 * Kept in chunks of a fixed size once past the first: a column that grew by doubling copied itself
 * at every step and freed the old copy, and on a long catch-up those tens of MB of freed buffers
 * stayed with the process (glibc keeps freed memory that came from its heap rather than from
 * mmap, and raises its mmap threshold as large buffers are freed). A chunk, once made, is kept.
 * The first chunk starts small and doubles up to the chunk size, so a short column stays small.
 */
export class Column<T extends TypedArray> {
  protected chunks: T[];
  length = 0;
  constructor(protected make: (size: number) => T) {
    this.chunks = [make(FIRST)];
  }
  push(value: number): void {
    const length = this.length;
    const chunk = length >>> CHUNK_BITS;
    if (chunk === this.chunks.length || (chunk === 0 && length === this.chunks[0]!.length)) this.makeRoom();
    this.chunks[chunk]![length & MASK] = value;
    this.length = length + 1;
  }
  /** Room for the next value: a new chunk, or the first one grown. */
  protected makeRoom(): void {
    const length = this.length;
    if (length >>> CHUNK_BITS === this.chunks.length) this.chunks.push(this.make(CHUNK));
    else {
      const grown = this.make(Math.min(CHUNK, length * 2));
      grown.set(this.chunks[0]! as never);
      this.chunks[0] = grown;
    }
  }
  at(index: number): number {
    return this.chunks[index >>> CHUNK_BITS]![index & MASK]!;
  }
  set(index: number, value: number): void {
    this.chunks[index >>> CHUNK_BITS]![index & MASK] = value;
  }
  /** The filled part, copied into one array: for a checkpoint. */
  export(): T {
    const out = this.make(this.length);
    for (let c = 0, at = 0; at < this.length; c++) {
      const take = Math.min(this.chunks[c]!.length, this.length - at);
      out.set(this.chunks[c]!.subarray(0, take) as never, at);
      at += take;
    }
    return out;
  }
  /**
   * The filled part as the column's own chunks, in order: views, not copies, for a checkpoint that
   * writes them out at once. At ten million events a save copied about 1 GB out of the chunks into
   * whole arrays first, and held both until it was written.
   */
  parts(): T[] {
    const parts: T[] = [];
    for (let c = 0, at = 0; at < this.length; c++) {
      const take = Math.min(this.chunks[c]!.length, this.length - at);
      parts.push(this.chunks[c]!.subarray(0, take) as T);
      at += take;
    }
    return parts;
  }
  /**
   * Takes `filled` over as it is (a restored checkpoint's own copy, one array or its parts in
   * order), in chunks that are views of it.
   */
  static of<T extends TypedArray>(make: (size: number) => T, filled: ColumnData<T>): Column<T> {
    return new Column(make).adopt(filled);
  }
  protected adopt(filled: ColumnData<T>): this {
    const parts = partsOf(filled);
    // Parts cut anywhere but at whole chunks (none this code writes) are joined first.
    if (parts.slice(0, -1).some((part) => part.length % CHUNK !== 0)) return this.adopt(joined(this.make, parts));
    this.length = lengthOf(filled);
    if (this.length === 0) return this;
    this.chunks = [];
    for (const whole of parts)
      for (let at = 0; at < whole.length; at += CHUNK) {
        const part = whole.subarray(at, at + CHUNK) as T;
        if (part.length === CHUNK) this.chunks.push(part);
        else {
          // The last part, short: a chunk of its own, so that push can go on filling it.
          const chunk = this.make(this.chunks.length === 0 ? Math.max(FIRST, part.length) : CHUNK);
          chunk.set(part as never);
          this.chunks.push(chunk);
        }
      }
    return this;
  }
}

/**
 * A column of bytes or 16-bit numbers: a Column whose element accesses are written out again. V8
 * follows up to four kinds of object at each access in the source; past that, the access goes the
 * generic way. Column's push, at and set met five kinds of typed array, and a push cost 44 ns against
 * 6.5 ns with three (by hand, five columns pushed in turn). Column keeps Float64Array, Uint32Array
 * and Int32Array (the widening columns' too); these two kinds come here.
 */
export class SmallIntColumn<T extends Int8Array | Uint16Array> extends Column<T> {
  override push(value: number): void {
    const length = this.length;
    const chunk = length >>> CHUNK_BITS;
    if (chunk === this.chunks.length || (chunk === 0 && length === this.chunks[0]!.length)) this.makeRoom();
    this.chunks[chunk]![length & MASK] = value;
    this.length = length + 1;
  }
  override at(index: number): number {
    return this.chunks[index >>> CHUNK_BITS]![index & MASK]!;
  }
  override set(index: number, value: number): void {
    this.chunks[index >>> CHUNK_BITS]![index & MASK] = value;
  }
  static restore<T extends Int8Array | Uint16Array>(
    make: (size: number) => T,
    filled: ColumnData<T>,
  ): SmallIntColumn<T> {
    return new SmallIntColumn(make).adopt(filled);
  }
}

/**
 * A column as plain data: copied into one array, or (`asParts`) its own chunks, views of its memory
 * for a checkpoint written out before anything more is recorded.
 */
export const columnData = <T extends TypedArray>(column: Column<T>, asParts: boolean): ColumnData<T> =>
  asParts ? column.parts() : column.export();

/** `parts` in one array of their own. */
function joined<T extends TypedArray>(make: (size: number) => T, parts: readonly T[]): T {
  const out = make(lengthOf(parts));
  let at = 0;
  for (const part of parts) {
    out.set(part as never, at);
    at += part.length;
  }
  return out;
}

/**
 * Makers of a column's chunks, one of each at module level. A maker written inline where a column
 * is made would be a closure over that function's whole scope (V8 shares one context between a
 * function's closures), and so would keep alive whatever else that function held, for as long as
 * the column lives: a catch-up's discarded buffers, say.
 */
export const float64s = (n: number) => new Float64Array(n);
export const uint32s = (n: number) => new Uint32Array(n);
export const int32s = (n: number) => new Int32Array(n);
export const int8s = (n: number) => new Int8Array(n);
export const uint16s = (n: number) => new Uint16Array(n);

/**
 * Whole numbers kept in 32 bits, half the memory of doubles, until the first value that does not
 * fit, which turns the column into doubles for good.
 */
class WideningColumn extends Column<Int32Array | Uint32Array | Float64Array> {
  constructor(
    narrow: (size: number) => Int32Array | Uint32Array,
    private readonly fits: (value: number) => boolean,
  ) {
    super(narrow);
  }
  /** True once the column holds doubles. */
  get wide(): boolean {
    return this.chunks[0] instanceof Float64Array;
  }
  override push(value: number): void {
    if (!this.wide && !this.fits(value)) {
      this.chunks = this.chunks.map((chunk) => Float64Array.from(chunk));
      this.make = float64s;
    }
    super.push(value);
  }
  protected override adopt(filled: ColumnData<Int32Array | Uint32Array | Float64Array>): this {
    if (holdsDoubles(filled)) this.make = float64s;
    return super.adopt(filled);
  }
}

/** Quantities: whole numbers up to 10^12 (signed, as deltas), in practice small. */
export class QuantityColumn extends WideningColumn {
  constructor() {
    super(int32s, (value) => (value | 0) === value);
  }
  static restore(filled: ColumnData<Int32Array | Uint32Array | Float64Array>): QuantityColumn {
    return new QuantityColumn().adopt(filled);
  }
}

/** Global positions: SQLite's count from 1; EventStoreDB's commit positions soon pass 2^32. */
export class PositionColumn extends WideningColumn {
  constructor() {
    super(uint32s, (value) => value >>> 0 === value);
  }
  static restore(filled: ColumnData<Int32Array | Uint32Array | Float64Array>): PositionColumn {
    return new PositionColumn().adopt(filled);
  }
}
