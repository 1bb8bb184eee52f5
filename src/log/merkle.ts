/**
 * The Merkle tree of the log, exactly as RFC 9162 §2.1 defines it, and its
 * proofs. Pure: hashes in, hashes out. Leaves are hashed by the caller
 * (`leafHash`); everything else works on 32-byte hashes.
 */
import { createHash, hash } from 'node:crypto';
import { closeSync, openSync, rmSync } from 'node:fs';
import { readWholeSync, writeWholeSync } from './fd-io.js';

export const HASH_SIZE = 32;

/** RFC 9162 §2.1.1: the hash of an empty tree is SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = createHash('sha256').digest();

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
export function leafHash(leaf: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
}

/** One buffer for node hashes: the prefix and both children side by side, hashed in one call (twice as fast). */
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_SIZE);
NODE_INPUT[0] = 0x01;

/** RFC 9162 §2.1.1: SHA-256(0x01 || MTH(left) || MTH(right)). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE)
    return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_SIZE);
  return hash('sha256', NODE_INPUT, 'buffer');
}

/** RFC 9162 §2.1.1 leaf hash of bytes that already start with the 0x00 prefix (the offline verifier's fast path). */
export const prefixedLeafHash = (prefixed: Uint8Array): Buffer => hash('sha256', prefixed, 'buffer');

/** RFC 9162 §2.1.1: k, the largest power of two smaller than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** What the proofs need from a tree: the hash of leaves [lo, hi). */
export interface SubtreeHashes {
  readonly size: number;
  subtreeHash(lo: number, hi: number): Uint8Array;
}

/** RFC 9162 §2.1.3.1: PATH(m, D[n]), the inclusion proof of leaf m in the tree of the first n leaves. */
export function inclusionProof(tree: SubtreeHashes, index: number, treeSize: number): Uint8Array[] {
  if (!Number.isInteger(treeSize) || treeSize < 1 || treeSize > tree.size)
    throw new RangeError(`tree size ${treeSize} is not in 1..${tree.size}`);
  if (!Number.isInteger(index) || index < 0 || index >= treeSize)
    throw new RangeError(`leaf index ${index} is not in 0..${treeSize - 1}`);
  const proof: Uint8Array[] = [];
  // Iterative form of PATH: descend from the root, collecting siblings; reversed at the end (leaf-first order).
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      proof.push(tree.subtreeHash(lo + k, hi));
      hi = lo + k;
    } else {
      proof.push(tree.subtreeHash(lo, lo + k));
      lo += k;
    }
  }
  return proof.reverse();
}

/** RFC 9162 §2.1.4.1: PROOF(m, D[n]) via SUBPROOF(m, D[n], true). */
export function consistencyProof(tree: SubtreeHashes, from: number, to: number): Uint8Array[] {
  if (!Number.isInteger(to) || to < 1 || to > tree.size)
    throw new RangeError(`tree size ${to} is not in 1..${tree.size}`);
  if (!Number.isInteger(from) || from < 1 || from > to) throw new RangeError(`tree size ${from} is not in 1..${to}`);
  const proof: Uint8Array[] = [];
  // SUBPROOF(m, D[lo:hi], b), unrolled: each step either ends or recurses into one side.
  let m = from;
  let lo = 0;
  let hi = to;
  let complete = true;
  const tail: Uint8Array[] = [];
  for (;;) {
    const n = hi - lo;
    if (m === n) {
      // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}.
      if (!complete) proof.push(tree.subtreeHash(lo, hi));
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
      tail.push(tree.subtreeHash(lo + k, hi));
      hi = lo + k;
    } else {
      // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
      tail.push(tree.subtreeHash(lo, lo + k));
      lo += k;
      m -= k;
      complete = false;
    }
  }
  return proof.concat(tail.reverse());
}

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/**
 * RFC 9162 §2.1.3.2: verifies an inclusion proof of `leaf` (a leaf hash) at
 * `index` in a tree of `treeSize` leaves with root `root`.
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(treeSize) || index < 0 || index >= treeSize) return false;
  if (proof.some((p) => p.length !== HASH_SIZE)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/**
 * RFC 9162 §2.1.4.2: verifies that the tree of `first` leaves with root
 * `firstRoot` is a prefix of the tree of `second` leaves with `secondRoot`.
 */
export function verifyConsistency(
  first: number,
  second: number,
  proof: readonly Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): boolean {
  if (!Number.isInteger(first) || !Number.isInteger(second) || first < 1 || first > second) return false;
  if (proof.some((p) => p.length !== HASH_SIZE)) return false;
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
  // Step 2: if first is an exact power of 2, prepend first_hash to the proof.
  // Step 1: an empty proof fails.
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  // Step 3: fn = first - 1, sn = second - 1; step 4: shift right while LSB(fn) is set.
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 5: fr and sr start at the first value in the path.
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  // Step 6: for each subsequent value c in the path.
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 7: fr == first_hash, sr == second_hash and sn == 0.
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}

/** Hashes per chunk of a column: 2^15, 1 MiB. */
export const CHUNK_HASHES = 2 ** 15;
const CHUNK_BITS = Math.log2(CHUNK_HASHES);
const CHUNK_BYTES = CHUNK_HASHES * HASH_SIZE;
const FIRST_CHUNK_HASHES = 1024;

/**
 * The first whole chunks of a column kept in a file rather than in memory (the leaves of a saved
 * tree, in the file it was saved to): chunk c is CHUNK_BYTES at `offset + c × CHUNK_BYTES`.
 */
export interface ChunksOnDisk {
  file: string;
  offset: number;
  /** How many whole chunks, from the first. */
  chunks: number;
}

/**
 * What a comparison reads a tree's first leaves from: whole chunks on disk (through the tree's own
 * descriptor of the file: a worker thread shares the process's descriptors, and the file the tree
 * was loaded from may since have been replaced by name), then chunks in memory.
 */
export interface LeafChunks {
  onDisk?: { fd: number; offset: number; chunks: number };
  /** The chunks after those on disk, as views of the tree's own (shared) memory. */
  inMemory: Uint8Array[];
}

/** Reads `source`'s chunks in order, a chunk on disk into one buffer reused for each. */
export class LeafChunkReader {
  private buffer: Buffer | undefined;
  constructor(private readonly source: LeafChunks) {}
  get length(): number {
    return (this.source.onDisk?.chunks ?? 0) + this.source.inMemory.length;
  }
  /** Chunk c: valid until the next call. */
  chunk(c: number): Uint8Array {
    const onDisk = this.source.onDisk;
    if (!onDisk || c >= onDisk.chunks) return this.source.inMemory[c - (onDisk?.chunks ?? 0)]!;
    this.buffer ??= Buffer.allocUnsafe(CHUNK_BYTES);
    readWholeSync(onDisk.fd, this.buffer, onDisk.offset + c * CHUNK_BYTES);
    return this.buffer;
  }
}

/**
 * A growable column of 32-byte hashes in chunks of 1 MiB: a million leaves are 31 blocks, not a
 * million objects. A column never copies what it holds to grow: at ten million events, doubling
 * one buffer for the leaves meant copying 320 MB while an append waited. Only a column's first
 * chunk starts small (the upper levels hold a handful of hashes) and doubles up to a whole chunk.
 *
 * The leaves' column of a tree loaded from its saved file leaves its whole chunks in that file
 * (`onDisk`), read a hash or two at a time when a proof or a past root needs them: at ten million
 * events, 320 MB not held in memory. What is appended after goes into memory.
 */
class HashColumn {
  /** Whole chunks; only a lone first chunk may have less room than a chunk. Those on disk are empty here. */
  chunks: Buffer[];
  count = 0;
  /** The first whole chunks, kept on disk, and the file's descriptor for reading them. */
  private onDisk: (ChunksOnDisk & { fd: number }) | undefined;
  /** Room for hashes, in shared memory when the column is `shared`. */
  readonly allocate: (bytes: number) => Buffer;
  constructor(capacity = FIRST_CHUNK_HASHES, shared = false) {
    this.allocate = shared
      ? (bytes) => Buffer.from(new SharedArrayBuffer(bytes))
      : (bytes) => Buffer.allocUnsafe(bytes);
    this.chunks =
      capacity <= CHUNK_HASHES
        ? [this.allocate(Math.max(capacity, 1) * HASH_SIZE)]
        : Array.from({ length: Math.ceil(capacity / CHUNK_HASHES) }, () => this.allocate(CHUNK_BYTES));
  }
  /** The chunk the next hash goes into, grown or added first when it is full. */
  private room(): Buffer {
    const c = this.count >>> CHUNK_BITS;
    const offset = (this.count & (CHUNK_HASHES - 1)) * HASH_SIZE;
    const chunk = this.chunks[c];
    if (chunk === undefined) {
      const added = this.allocate(CHUNK_BYTES);
      this.chunks.push(added);
      return added;
    }
    if (offset + HASH_SIZE <= chunk.length) return chunk;
    // A first chunk not yet whole (or a short last one adopted): at most 1 MiB copied, once per doubling.
    const grown = this.allocate(Math.min(Math.max(chunk.length * 2, FIRST_CHUNK_HASHES * HASH_SIZE), CHUNK_BYTES));
    chunk.copy(grown, 0, 0, offset);
    this.chunks[c] = grown;
    return grown;
  }
  push(hash: Uint8Array): void {
    this.room().set(hash, (this.count & (CHUNK_HASHES - 1)) * HASH_SIZE);
    this.count++;
  }
  /** A hash as a 32-character binary (latin1) string, as `hash(…, 'binary')` gives it. */
  pushBinary(hash: string): void {
    this.room().write(hash, (this.count & (CHUNK_HASHES - 1)) * HASH_SIZE, HASH_SIZE, 'latin1');
    this.count++;
  }
  at(i: number): Buffer {
    if (this.onDisk && i >>> CHUNK_BITS < this.onDisk.chunks) {
      const hash = Buffer.allocUnsafe(HASH_SIZE);
      readWholeSync(this.onDisk.fd, hash, this.onDisk.offset + i * HASH_SIZE);
      return hash;
    }
    const offset = (i & (CHUNK_HASHES - 1)) * HASH_SIZE;
    return this.chunks[i >>> CHUNK_BITS]!.subarray(offset, offset + HASH_SIZE);
  }
  /** Hashes i and i + 1 (i even: never split between chunks) into `into` at `at`. */
  copyPair(i: number, into: Buffer, at: number): void {
    if (this.onDisk && i >>> CHUNK_BITS < this.onDisk.chunks)
      return readWholeSync(this.onDisk.fd, into, this.onDisk.offset + i * HASH_SIZE, 2 * HASH_SIZE, at);
    const offset = (i & (CHUNK_HASHES - 1)) * HASH_SIZE;
    this.chunks[i >>> CHUNK_BITS]!.copy(into, at, offset, offset + 2 * HASH_SIZE);
  }
  /**
   * A column of `count` hashes whose first whole chunks are kept in a file (`onDisk`), the rest in
   * memory, their room made here for `read` to fill (`offset`: where in the column each begins).
   */
  static withChunksOnDisk(
    onDisk: ChunksOnDisk,
    count: number,
    shared: boolean,
    read: (into: Uint8Array, offset: number) => void,
  ): HashColumn {
    if (onDisk.chunks * CHUNK_HASHES > count)
      throw new RangeError(`${onDisk.chunks} whole chunks on disk of a column of ${count} hashes`);
    const column = new HashColumn(Math.max(count - onDisk.chunks * CHUNK_HASHES, FIRST_CHUNK_HASHES), shared);
    if (onDisk.chunks > 0) {
      // Whole chunks only, after those on disk: a hash's chunk stays its index's high bits.
      if (column.chunks[0]!.length < CHUNK_BYTES) column.chunks[0] = column.allocate(CHUNK_BYTES);
      column.chunks = [...Array.from({ length: onDisk.chunks }, () => EMPTY), ...column.chunks];
      column.onDisk = { ...onDisk, fd: openSync(onDisk.file, 'r') };
    }
    const start = onDisk.chunks * CHUNK_BYTES;
    for (let offset = start; offset < count * HASH_SIZE; offset += CHUNK_BYTES)
      read(column.chunks[offset / CHUNK_BYTES]!.subarray(0, Math.min(count * HASH_SIZE - offset, CHUNK_BYTES)), offset);
    column.count = count;
    return column;
  }
  /**
   * Writes the whole chunks to `file` (created afresh, and unlinked at once: the descriptor keeps it
   * until the column is closed, so a crash leaves nothing behind) and lets go of their memory; true
   * when it did. What cannot be written (a full disk) stays in memory.
   */
  moveToDisk(file: string): boolean {
    const chunks = this.count >>> CHUNK_BITS;
    if (this.onDisk || chunks === 0) return false;
    let fd: number | undefined;
    try {
      fd = openSync(file, 'w+');
      for (let c = 0; c < chunks; c++) writeWholeSync(fd, this.chunks[c]!.subarray(0, CHUNK_BYTES), c * CHUNK_BYTES);
      rmSync(file, { force: true });
    } catch {
      if (fd === undefined) return false; // the file could not be made
      closeSync(fd);
      rmSync(file, { force: true });
      return false;
    }
    this.onDisk = { file, offset: 0, chunks, fd };
    for (let c = 0; c < chunks; c++) this.chunks[c] = EMPTY;
    return true;
  }
  /** The first `count` hashes, for a comparison to read in order (see LeafChunkReader). */
  source(count = this.count): LeafChunks {
    const onDisk = this.onDisk && { fd: this.onDisk.fd, offset: this.onDisk.offset, chunks: this.onDisk.chunks };
    const inMemory: Uint8Array[] = [];
    for (let from = (onDisk?.chunks ?? 0) * CHUNK_HASHES; from < count; from += CHUNK_HASHES)
      inMemory.push(this.chunks[from >>> CHUNK_BITS]!.subarray(0, Math.min(count - from, CHUNK_HASHES) * HASH_SIZE));
    return onDisk && onDisk.chunks > 0 ? { onDisk, inMemory } : { inMemory };
  }
  /** The first `count` hashes held, chunk by chunk, as views of the column's own memory (none on disk). */
  views(count = this.count): Uint8Array[] {
    if (this.onDisk) throw new Error('a column with chunks on disk has no views of them: read them (source)');
    return this.source(count).inMemory;
  }
  /** Every hash, chunk by chunk in order, a chunk on disk read into one buffer reused for each: for writing out. */
  *pieces(): Generator<Uint8Array> {
    const reader = new LeafChunkReader(this.source());
    for (let c = 0; c < reader.length; c++) {
      const chunk = reader.chunk(c);
      yield chunk.subarray(0, Math.min(this.count - c * CHUNK_HASHES, CHUNK_HASHES) * HASH_SIZE);
    }
  }
  truncate(count: number): void {
    this.count = Math.min(this.count, count);
    const onDisk = this.onDisk;
    // Back to where the chunk the next hash goes into is on disk (a saved tree ahead of its store): that
    // chunk is read back into memory, those before it stay where they are.
    if (onDisk && this.count >>> CHUNK_BITS < onDisk.chunks) {
      const c = this.count >>> CHUNK_BITS;
      const chunk = this.allocate(CHUNK_BYTES);
      readWholeSync(onDisk.fd, chunk, onDisk.offset + c * CHUNK_BYTES);
      this.chunks[c] = chunk;
      onDisk.chunks = c;
    }
    // Chunks past the new end are let go, but the one the next hash goes into is kept.
    this.chunks.length = Math.min(this.chunks.length, Math.max(1, (this.count >>> CHUNK_BITS) + 1));
  }
  /** Lets go of the file the chunks on disk are read from: reading them after is an error, never a wrong hash. */
  close(): void {
    if (this.onDisk && this.onDisk.fd >= 0) closeSync(this.onDisk.fd);
    if (this.onDisk) this.onDisk.fd = -1;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * How many hashes each kept level of a tree of `size` leaves holds: level 2j (the j-th kept) holds
 * ⌊size / 4^j⌋, down to the last that holds any.
 */
export function keptLevelCounts(size: number): number[] {
  const counts = [size];
  for (let count = Math.floor(size / 4); count > 0; count = Math.floor(count / 4)) counts.push(count);
  return counts;
}

/** The leaves' column: in shared memory (see MerkleTree). */
const leafColumn = (capacity?: number) => new HashColumn(capacity, true);

/** Refuses levels that are not the kept levels of one tree: a hole there would be a wrong root, not an error. */
function checkKeptCounts(counts: readonly number[]): void {
  const size = counts[0] ?? 0;
  const whole =
    counts.length >= keptLevelCounts(size).length && counts.every((n, j) => n === Math.floor(size / 4 ** j));
  if (!whole)
    throw new RangeError(`levels of ${counts.join(', ')} hashes are not the kept levels of a tree of ${size} leaves`);
}

/**
 * An append-only Merkle tree that keeps the hash of every complete aligned
 * subtree of an even level (level k holds the subtrees of 2^k leaves; levels
 * 0, 2, 4 … are kept). A node of an odd level is the one hash of its two
 * children, kept a level below: that leaves a third of the tree out of memory
 * and out of the saved file (213 MB at ten million events) for one hash more
 * per odd level of a root or a proof. Any RFC 9162 subtree [lo, hi) of a tree
 * of size <= n is then a lookup or one hash when complete, or a fold of at
 * most log2(n) complete ones: roots and proofs for any past size in
 * O(log² n) hashes.
 *
 * "Levels" below, given and taken (`readLevels`, `releaseLevels`, …), are the
 * kept ones, the leaves first.
 *
 * The leaves are kept in shared memory (SharedArrayBuffers): the background
 * check of a saved tree hands them to its thread as they are, where a copy
 * would hold 320 MB more at ten million events for as long as it runs.
 */
export class MerkleTree implements SubtreeHashes {
  /** kept[j] is level 2j. */
  private kept: HashColumn[] = [leafColumn()];

  get size(): number {
    return this.kept[0]!.count;
  }

  /** Appends one leaf hash (see `leafHash`). */
  append(leaf: Uint8Array): void {
    if (leaf.length !== HASH_SIZE) throw new RangeError('a leaf hash has 32 bytes');
    this.kept[0]!.push(leaf);
    this.completeNodes();
  }

  /** Appends one leaf hash given as a 32-character binary string (`hash('sha256', …, 'binary')`): no Buffer made. */
  appendBinary(leaf: string): void {
    if (leaf.length !== HASH_SIZE) throw new RangeError('a leaf hash has 32 bytes');
    this.kept[0]!.pushBinary(leaf);
    this.completeNodes();
  }

  /**
   * Every fourth node of a kept level completes a node two levels up: the two
   * nodes between are hashed on the way and not kept. The hashes go from the
   * column's bytes to the parent column's without a Buffer per hash: a million
   * small Buffers cost more in GC than the hashing.
   */
  private completeNodes(): void {
    let j = 0;
    while (this.kept[j]!.count % 4 === 0) {
      const column = this.kept[j]!;
      const first = column.count - 4;
      column.copyPair(first, NODE_INPUT, 1);
      const left = hash('sha256', NODE_INPUT, 'binary');
      column.copyPair(first + 2, NODE_INPUT, 1);
      NODE_INPUT.write(hash('sha256', NODE_INPUT, 'binary'), 1 + HASH_SIZE, HASH_SIZE, 'latin1');
      NODE_INPUT.write(left, 1, HASH_SIZE, 'latin1');
      const parent = hash('sha256', NODE_INPUT, 'binary');
      j++;
      this.kept[j] ??= new HashColumn();
      this.kept[j]!.pushBinary(parent);
    }
  }

  /** Node `index` of `level`, a complete subtree: kept, or hashed from its two children a level below. */
  private node(level: number, index: number): Uint8Array {
    if (level % 2 === 0) return this.kept[level / 2]!.at(index);
    this.kept[(level - 1) / 2]!.copyPair(2 * index, NODE_INPUT, 1);
    return hash('sha256', NODE_INPUT, 'buffer');
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Buffer {
    if (index < 0 || index >= this.size) throw new RangeError(`leaf index ${index} is not in 0..${this.size - 1}`);
    return this.kept[0]!.at(index);
  }

  /** RFC 9162 §2.1.1, MTH(D[lo:hi]); lo is always aligned to the largest power of two <= hi - lo in the RFC's splits. */
  subtreeHash(lo: number, hi: number): Uint8Array {
    if (hi > this.size || lo < 0 || lo >= hi)
      throw new RangeError(`no subtree [${lo}, ${hi}) in a tree of ${this.size}`);
    const n = hi - lo;
    if (isPowerOfTwo(n) && lo % n === 0) return this.node(Math.log2(n), lo / n);
    const k = splitPoint(n);
    return nodeHash(this.subtreeHash(lo, lo + k), this.subtreeHash(lo + k, hi));
  }

  /** RFC 9162 §2.1.1, the root of the tree of the first n leaves. */
  root(n = this.size): Uint8Array {
    if (n === 0) return EMPTY_ROOT;
    return this.subtreeHash(0, n);
  }

  /** Drops leaves from `size` on (a service that finds its saved tree ahead of the store). */
  truncate(size: number): void {
    for (const [j, column] of this.kept.entries()) column.truncate(Math.floor(size / 4 ** j));
  }

  /**
   * Leaves 0 to `count` (not included), chunk by chunk, as views of the tree's own shared memory:
   * for another thread to read where they are. A leaf once appended is only ever changed by
   * `truncate` and the appends after it.
   */
  leafChunks(count = this.size): LeafChunks {
    if (count > this.size) throw new RangeError(`${count} leaves asked of a tree of ${this.size}`);
    return this.kept[0]!.source(count);
  }

  /** Every kept level's hashes, copied: restoring is then a copy, not a million hashes. */
  exportLevels(): Buffer[] {
    return this.kept.map((column) => {
      const pieces: Buffer[] = [];
      for (const piece of column.pieces()) pieces.push(Buffer.from(piece)); // copied as it comes: a piece on disk is reused
      return Buffer.concat(pieces);
    });
  }

  /** The byte length of each kept level, the leaves first. */
  levelLengths(): number[] {
    return this.kept.map((column) => column.count * HASH_SIZE);
  }

  /**
   * Every kept level's hashes in order, the leaves first, chunk by chunk: views of the tree's own
   * memory, or (leaves on disk) one buffer read again for each chunk. For writing out as they come:
   * a piece is not to be kept past the next.
   */
  *levelPieces(): Generator<Uint8Array> {
    for (const column of this.kept) yield* column.pieces();
  }

  /**
   * Moves the leaves' whole chunks out of memory into `file` (see HashColumn.moveToDisk): a tree made
   * from every event at a first start then holds in memory what a tree loaded from its saved file
   * does. True when it did; false when there was nothing to move or the file could not be written.
   */
  moveLeavesTo(file: string): boolean {
    return this.kept[0]!.moveToDisk(file);
  }

  /** Lets go of the saved tree's file its leaves are read from (see readLevels); the tree is not to be used after. */
  close(): void {
    this.kept[0]!.close();
  }

  /**
   * Every kept level's chunks as they are, spare room included, each the whole of its own buffer, and
   * how many hashes the level holds: for moving the tree to another thread (`adoptLevels`), not
   * copying it (the leaves' SharedArrayBuffers are shared, the other levels' ArrayBuffers moved).
   * The tree must not be used after.
   */
  releaseLevels(): { chunks: Uint8Array[]; count: number }[] {
    return this.kept.map((c) => ({
      chunks: c.chunks.map((chunk) =>
        chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : new Uint8Array(chunk),
      ),
      count: c.count,
    }));
  }

  /** A tree over levels given up by `releaseLevels` (moved from another thread): taken over, not copied. */
  static adoptLevels(levels: readonly { chunks: readonly Uint8Array[]; count: number }[]): MerkleTree {
    const tree = new MerkleTree();
    if (levels.length === 0) return tree;
    checkKeptCounts(levels.map((level) => level.count));
    tree.kept = levels.map(({ chunks, count }, level) => {
      const whole = Math.ceil(count / CHUNK_HASHES);
      const room = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
      // Every chunk but the last whole: a hash's chunk is then its index's high bits.
      const shaped = chunks.length > 0 && chunks.slice(0, -1).every((chunk) => chunk.byteLength === CHUNK_BYTES);
      if (!shaped || room < count * HASH_SIZE || chunks.length < whole)
        throw new RangeError(`a level of ${count} hashes in ${chunks.length} chunks of ${room} bytes`);
      const column = new HashColumn(0, level === 0);
      column.chunks = chunks.map((chunk) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      column.count = count;
      return column;
    });
    return tree;
  }

  static fromLevels(levels: readonly Uint8Array[]): MerkleTree {
    return MerkleTree.readLevels(
      levels.map((bytes) => bytes.length),
      (into, level, offset) => into.set(levels[level]!.subarray(offset, offset + into.length)),
    );
  }

  /**
   * A tree whose kept levels, of `lengths` bytes each, `read` fills in place (from a file, say), chunk by
   * chunk in order (`offset` is where in its level each begins): nothing is read into memory first
   * only to be copied.
   */
  static readLevels(
    lengths: readonly number[],
    read: (into: Uint8Array, level: number, offset: number) => void,
    /** Where the leaves' whole chunks are in a file: they are then left there, not read (see HashColumn). */
    leavesIn?: { file: string; offset: number },
  ): MerkleTree {
    const tree = new MerkleTree();
    if (lengths.length === 0) return tree;
    if (lengths.some((length) => length % HASH_SIZE !== 0))
      throw new RangeError(`levels of ${lengths.join(', ')} bytes are not whole hashes`);
    checkKeptCounts(lengths.map((length) => length / HASH_SIZE));
    const columns: HashColumn[] = [];
    try {
      for (const [level, length] of lengths.entries()) {
        const count = length / HASH_SIZE;
        if (level === 0) {
          const onDisk = { file: leavesIn?.file ?? '', offset: leavesIn?.offset ?? 0, chunks: 0 };
          if (leavesIn) onDisk.chunks = Math.floor(count / CHUNK_HASHES);
          columns.push(HashColumn.withChunksOnDisk(onDisk, count, true, (into, offset) => read(into, 0, offset)));
          continue;
        }
        const column = new HashColumn(Math.max(FIRST_CHUNK_HASHES, count));
        for (let offset = 0; offset < length; offset += CHUNK_BYTES)
          read(column.chunks[offset / CHUNK_BYTES]!.subarray(0, Math.min(length - offset, CHUNK_BYTES)), level, offset);
        column.count = count;
        columns.push(column);
      }
    } catch (error) {
      columns[0]?.close(); // the leaves' file descriptor, if it was opened
      throw error;
    }
    tree.kept = columns;
    return tree;
  }
}
