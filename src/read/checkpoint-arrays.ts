/**
 * A checkpoint's state in two parts: its objects as V8 serialises them, and its typed arrays apart,
 * one after another, each starting on an 8-byte boundary.
 *
 * Why apart: V8 writes a typed array's bytes wherever the stream happens to be, so most come back
 * unaligned and Node's deserializer must copy them. At a restart on a million events that was 97 MB
 * copied into fresh memory, and on these machines fresh memory costs about 3 ms a MB the first time
 * it is touched: half a second of a 2 s restart. Laid out aligned in a region of their own, the
 * arrays are restored as views into the one buffer that region was read into, with no copy; the
 * objects' part is read into a buffer of its own, which is dropped once deserialised.
 *
 * What the views cost: the region is kept while any array of it lives. An array that is later
 * replaced (a sorted block that splits, a node of sums that grows) leaves its old bytes there until
 * the next restart. That is bounded by the region's size and, in practice, a few per cent of it.
 */
import { DefaultDeserializer, DefaultSerializer } from 'node:v8';

/** Where each array starts within the region: a multiple of this, so any element type can view it. */
const ALIGN = 8;

type ArrayMaker = (buffer: ArrayBufferLike, offset: number, byteLength: number) => NodeJS.TypedArray;

const view =
  <T extends NodeJS.TypedArray>(Type: {
    new (buffer: ArrayBufferLike, offset: number, length: number): T;
    BYTES_PER_ELEMENT: number;
  }): ArrayMaker =>
  (buffer, offset, byteLength) => {
    if (byteLength % Type.BYTES_PER_ELEMENT !== 0)
      throw new RangeError(`${byteLength} bytes are not a whole number of ${Type.name} elements`);
    return new Type(buffer, offset, byteLength / Type.BYTES_PER_ELEMENT);
  };

/**
 * The kinds of array a checkpoint holds, numbered as the file numbers them: part of the format (a
 * change here is a new CHECKPOINT_VERSION). Buffer is a kind of its own, so that it comes back a Buffer.
 */
const KINDS: readonly { name: string; make: ArrayMaker }[] = [
  { name: 'Buffer', make: (buffer, offset, byteLength) => Buffer.from(buffer, offset, byteLength) },
  { name: 'Int8Array', make: view(Int8Array) },
  { name: 'Uint8Array', make: view(Uint8Array) },
  { name: 'Uint8ClampedArray', make: view(Uint8ClampedArray) },
  { name: 'Int16Array', make: view(Int16Array) },
  { name: 'Uint16Array', make: view(Uint16Array) },
  { name: 'Int32Array', make: view(Int32Array) },
  { name: 'Uint32Array', make: view(Uint32Array) },
  { name: 'Float32Array', make: view(Float32Array) },
  { name: 'Float64Array', make: view(Float64Array) },
  { name: 'BigInt64Array', make: view(BigInt64Array) },
  { name: 'BigUint64Array', make: view(BigUint64Array) },
];
const KIND_BY_NAME = new Map(KINDS.map((kind, index) => [kind.name, index]));

function kindOf(array: NodeJS.ArrayBufferView): number {
  const kind = Buffer.isBuffer(array) ? 0 : KIND_BY_NAME.get(array.constructor.name);
  if (kind === undefined) throw new TypeError(`a checkpoint cannot hold a ${array.constructor.name}`);
  return kind;
}

const paddingBefore = (offset: number) => (ALIGN - (offset % ALIGN)) % ALIGN;

/** A state split for writing: its objects' bytes, and its arrays' bytes in the order the region holds them. */
export interface SplitState {
  objects: Buffer;
  arrays: Uint8Array[];
  /** The region's length: every array, each after the padding that aligns it. */
  arrayBytes: number;
}

/** Node's serializer, with typed arrays written apart (their kind and length stay in the objects' stream). */
class ArraysApartSerializer extends DefaultSerializer {
  readonly arrays: Uint8Array[] = [];
  // Node's documented hook for host objects (typed arrays are host objects to DefaultSerializer).
  _writeHostObject(array: NodeJS.ArrayBufferView): void {
    this.writeUint32(kindOf(array));
    this.writeDouble(array.byteLength);
    this.arrays.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
}

export function splitState(value: unknown): SplitState {
  const serializer = new ArraysApartSerializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  const objects = serializer.releaseBuffer();
  let arrayBytes = 0;
  for (const array of serializer.arrays) arrayBytes += paddingBefore(arrayBytes) + array.byteLength;
  return { objects, arrays: serializer.arrays, arrayBytes };
}

/** The pieces of the arrays' region in file order: each array, after the zeros that align it. */
export function* regionPieces(arrays: readonly Uint8Array[]): Generator<Uint8Array> {
  const zeros = new Uint8Array(ALIGN);
  let offset = 0;
  for (const array of arrays) {
    const padding = paddingBefore(offset);
    if (padding > 0) yield zeros.subarray(0, padding);
    yield array;
    offset += padding + array.byteLength;
  }
}

class ArraysApartDeserializer extends DefaultDeserializer {
  private next = 0;
  constructor(
    objects: Buffer,
    private readonly region: Uint8Array,
  ) {
    super(objects);
  }

  // Node's documented hook for host objects; its types leave it out.
  _readHostObject(): NodeJS.TypedArray {
    const kind = KINDS[this.readUint32()];
    const byteLength = this.readDouble();
    if (!kind) throw new RangeError('an array of an unknown kind');
    const start = this.next + paddingBefore(this.next);
    if (!Number.isSafeInteger(byteLength) || byteLength < 0 || start + byteLength > this.region.length)
      throw new RangeError(`an array of ${byteLength} bytes at ${start} runs past the arrays' ${this.region.length}`);
    this.next = start + byteLength;
    return kind.make(this.region.buffer, this.region.byteOffset + start, byteLength);
  }

  /** Whether the objects named exactly the arrays the region holds: a writer's mistake shows here. */
  usedTheWholeRegion(): boolean {
    return this.next === this.region.length;
  }
}

/**
 * The state again, its typed arrays views into `region`: memory of its own, so aligned as the file
 * is (a region that is not makes a view throw, and the checkpoint is ignored), and not to be changed
 * or reused after.
 */
export function joinState(objects: Buffer, region: Uint8Array): unknown {
  const deserializer = new ArraysApartDeserializer(objects, region);
  deserializer.readHeader();
  const value = deserializer.readValue() as unknown;
  if (!deserializer.usedTheWholeRegion()) throw new RangeError('the arrays do not fill their region');
  return value;
}
