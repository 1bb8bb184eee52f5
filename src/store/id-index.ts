/**
 * The EventStoreDB adapter's id index: event id → global position, compact enough for a long log.
 *
 * A Map of id strings costs 100–170 bytes an event (1–1.7 GB at 10M events). This keeps a 64-bit
 * hash of the id and the position, 16 bytes a slot in two typed arrays (open addressing, at most
 * 3/4 full): 21–32 bytes an event, about 256 MB at 10M. A hash is not the id: a hit names only
 * candidate positions, which the adapter reads to confirm (a hit is a replay or a reversal
 * target, rare on the write path); a miss is certain, which is what lets a new event's group go
 * to the append without a read. Two ids with one hash both stay (a multi-map): a collision costs
 * one more read, never a wrong answer. The typed arrays serialise as they are, so the index is
 * saved with the checkpoint and a restart reads only what was appended after it.
 */

const EMPTY = 0; // no ledger event sits at position 0 (the log starts with the server's own records)
const MIN_SLOTS = 1024;

/** FNV-1a and a second multiplier-mixed pass over the UTF-16 code units: 64 bits in two halves. */
export function hashId(id: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b ^= b >>> 13;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  return [a >>> 0, b >>> 0];
}

export interface IdIndexExport {
  /** Two 32-bit hash halves per slot. */
  hashes: Uint32Array;
  /** The position per slot; 0 for an empty slot. */
  positions: Float64Array;
  size: number;
}

export class IdIndex {
  private hashes: Uint32Array;
  private positions: Float64Array;
  private mask: number;
  private count = 0;

  constructor(saved?: IdIndexExport) {
    if (saved && isValidExport(saved)) {
      this.hashes = saved.hashes;
      this.positions = saved.positions;
      this.count = saved.size;
    } else {
      this.hashes = new Uint32Array(MIN_SLOTS * 2);
      this.positions = new Float64Array(MIN_SLOTS);
    }
    this.mask = this.positions.length - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes the index holds (for the docs' figures and the operator). */
  get bytes(): number {
    return this.hashes.byteLength + this.positions.byteLength;
  }

  /** Adds id at position; the same id at the same position again is a no-op. */
  add(id: string, position: number): void {
    const [h1, h2] = hashId(id);
    let slot = h1 & this.mask;
    for (;;) {
      const at = this.positions[slot]!;
      if (at === EMPTY) break;
      if (at === position && this.hashes[slot * 2] === h1 && this.hashes[slot * 2 + 1] === h2) return;
      slot = (slot + 1) & this.mask;
    }
    this.hashes[slot * 2] = h1;
    this.hashes[slot * 2 + 1] = h2;
    this.positions[slot] = position;
    this.count++;
    if (this.count * 4 > this.positions.length * 3) this.grow();
  }

  /** Positions that may hold this id, lowest first; empty means the id is certainly not indexed. */
  candidates(id: string): number[] {
    const [h1, h2] = hashId(id);
    const found: number[] = [];
    for (let slot = h1 & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = this.positions[slot]!;
      if (at === EMPTY) break;
      if (this.hashes[slot * 2] === h1 && this.hashes[slot * 2 + 1] === h2) found.push(at);
    }
    return found.sort((x, y) => x - y);
  }

  has(id: string): boolean {
    return this.candidates(id).length > 0;
  }

  /** The arrays themselves (not copies): serialise them before the next add. */
  export(): IdIndexExport {
    return { hashes: this.hashes, positions: this.positions, size: this.count };
  }

  private grow(): void {
    const oldHashes = this.hashes;
    const oldPositions = this.positions;
    this.positions = new Float64Array(oldPositions.length * 2);
    this.hashes = new Uint32Array(this.positions.length * 2);
    this.mask = this.positions.length - 1;
    for (let i = 0; i < oldPositions.length; i++) {
      const position = oldPositions[i]!;
      if (position === EMPTY) continue;
      const h1 = oldHashes[i * 2]!;
      let slot = h1 & this.mask;
      while (this.positions[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.hashes[slot * 2] = h1;
      this.hashes[slot * 2 + 1] = oldHashes[i * 2 + 1]!;
      this.positions[slot] = position;
    }
  }
}

function isValidExport(saved: IdIndexExport): boolean {
  const slots = saved.positions?.length ?? 0;
  return (
    saved.hashes instanceof Uint32Array &&
    saved.positions instanceof Float64Array &&
    slots >= MIN_SLOTS &&
    (slots & (slots - 1)) === 0 &&
    saved.hashes.length === slots * 2 &&
    Number.isInteger(saved.size) &&
    saved.size * 4 <= slots * 3
  );
}
