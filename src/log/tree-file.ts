/**
 * The log's tree saved beside an embedded store on a clean stop, so a
 * restart need not recompute a million canonical leaves. It is trusted only
 * for rows that are byte-for-byte what they were when it was saved: a
 * SHA-256 over the stored rows' raw columns (no JSON parsed, no leaf
 * rebuilt) must equal the one saved with it. Any edit to a row makes the
 * service recompute every leaf from the store, and name what differs.
 */
import { createHash, type Hash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MerkleTree } from './merkle.js';

const MAGIC = 'mss-ledger-log-tree/1';
const ROWS = `SELECT position, id, stream, stream_revision, type, schema_version, occurred_at, recorded_at,
  recorded_by, data, metadata FROM events WHERE position > ? AND position <= ? ORDER BY position`;

/** A running digest of the store's rows in position order, advanced as the log grows. */
export class RowDigest {
  private hash: Hash = createHash('sha256');
  position = 0;
  rows = 0;

  constructor(private readonly file: string) {}

  /** Takes in the rows after the digested position up to `upTo`. */
  advance(upTo: number): void {
    if (upTo <= this.position) return;
    const db = new Database(this.file, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare(ROWS).raw().iterate(this.position, upTo) as IterableIterator<unknown[]>;
      for (const row of rows) {
        for (const value of row) this.hash.update(`${String(value)}\u0000`);
        this.position = row[0] as number;
        this.rows++;
      }
    } finally {
      db.close();
    }
  }

  digest(): string {
    return this.hash.copy().digest('base64');
  }
}

interface Header {
  magic: string;
  size: number;
  lastPosition: number;
  rowDigest: string;
  levels: number[];
}

export function saveTree(file: string, tree: MerkleTree, positions: Float64Array, digest: RowDigest): void {
  const levels = tree.exportLevels();
  const header: Header = {
    magic: MAGIC,
    size: tree.size,
    lastPosition: digest.position,
    rowDigest: digest.digest(),
    levels: levels.map((l) => l.length),
  };
  const head = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  const body = Buffer.from(positions.buffer, positions.byteOffset, tree.size * 8);
  writeFileSync(`${file}.tmp`, Buffer.concat([length, head, body, ...levels]));
  renameSync(`${file}.tmp`, file);
}

/** The saved tree, if the store's rows up to its last position are exactly those it was built from. */
export function loadTree(
  file: string,
  storeFile: string,
): { tree: MerkleTree; positions: Float64Array; digest: RowDigest } | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const bytes = readFileSync(file);
    const headLength = bytes.readUInt32BE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + headLength).toString()) as Header;
    if (header.magic !== MAGIC) return undefined;
    let offset = 4 + headLength;
    const positions = new Float64Array(header.size);
    Buffer.from(positions.buffer).set(bytes.subarray(offset, offset + header.size * 8));
    offset += header.size * 8;
    const levels = header.levels.map((length) => {
      const level = bytes.subarray(offset, offset + length);
      offset += length;
      return level;
    });
    const digest = new RowDigest(storeFile);
    digest.advance(header.lastPosition);
    if (digest.rows !== header.size || digest.digest() !== header.rowDigest) return undefined;
    return { tree: MerkleTree.fromLevels(levels), positions, digest };
  } catch {
    return undefined;
  }
}
