/** Columns of numbers for long histories. */
export type TypedArray = Int8Array | Int32Array | Uint32Array | Float64Array;

/** An append-only typed array: off the V8 heap, no boxing, a third of a plain array for small integers. */
export class Column<T extends TypedArray> {
  protected data: T;
  length = 0;
  constructor(protected make: (size: number) => T) {
    this.data = make(1024);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data as never);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  at(index: number): number {
    return this.data[index]!;
  }
  set(index: number, value: number): void {
    this.data[index] = value;
  }
  /** Gives back the room kept for growth (up to half, after doubling): once a long catch-up is done. */
  trim(): void {
    if (this.data.length > this.length && this.length > 0) this.data = this.data.slice(0, this.length) as T;
  }
  /** The filled part, not copied. */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
  /** The filled part, copied: for a checkpoint. */
  export(): T {
    return this.data.slice(0, this.length) as T;
  }
  /** Takes `filled` over as it is (a restored checkpoint's own copy): push() grows it when needed. */
  static of<T extends TypedArray>(make: (size: number) => T, filled: T): Column<T> {
    const column = new Column(make);
    if (filled.length > 0) column.data = filled;
    column.length = filled.length;
    return column;
  }
}

const float64s = (n: number) => new Float64Array(n);

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
  override push(value: number): void {
    if (!(this.data instanceof Float64Array) && !this.fits(value)) {
      this.data = Float64Array.from(this.data);
      this.make = float64s;
    }
    super.push(value);
  }
  protected adopt(filled: Int32Array | Uint32Array | Float64Array): this {
    if (filled instanceof Float64Array) this.make = float64s;
    if (filled.length > 0) this.data = filled;
    this.length = filled.length;
    return this;
  }
}

/** Quantities: whole numbers up to 10^12 (signed, as deltas), in practice small. */
export class QuantityColumn extends WideningColumn {
  constructor() {
    super(
      (n) => new Int32Array(n),
      (value) => (value | 0) === value,
    );
  }
  static restore(filled: Int32Array | Uint32Array | Float64Array): QuantityColumn {
    return new QuantityColumn().adopt(filled);
  }
}

/** Global positions: SQLite's count from 1; EventStoreDB's commit positions soon pass 2^32. */
export class PositionColumn extends WideningColumn {
  constructor() {
    super(
      (n) => new Uint32Array(n),
      (value) => value >>> 0 === value,
    );
  }
  static restore(filled: Int32Array | Uint32Array | Float64Array): PositionColumn {
    return new PositionColumn().adopt(filled);
  }
}
