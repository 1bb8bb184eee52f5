/**
 * The log's tree saved beside an embedded store on a clean stop, so a
 * restart need not recompute a million canonical leaves. It is used only for
 * the very file it was saved with, as it was then: same size and same
 * modification time (to the nanosecond), read once every connection has
 * closed and again before the next start opens it, with no write-ahead log
 * pending. Any write to the file (an edit, a row added behind the service's
 * back, a VACUUM, a copy that does not keep the time) makes the service
 * recompute every leaf from the store.
 *
 * This is a tripwire for accidents, not the guarantee. It used to be the
 * SHA-256 of the whole file, which cost a second per million events at every
 * start and every stop (about 5 GB read at 10 million) and guarded against
 * nothing more: whoever can rewrite the store can reset its time, or rewrite
 * this file's header, as easily. What catches that is the service
 * recomputing every leaf in the background after it starts, and, above all,
 * the checkpoints auditors and witnesses keep (docs/verification.md).
 */
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { writeWholeSync } from './fd-io.js';
import { LeafPositions } from './leaf-positions.js';
import { MerkleTree } from './merkle.js';

/** Format 4 holds the tree's kept levels (0, 2, 4 …); format 3, every level, of which the odd are skipped. */
const MAGIC = 'mss-ledger-log-tree/4';
const EVERY_LEVEL = 'mss-ledger-log-tree/3';

interface Header {
  magic: string;
  size: number;
  fileStamp: string;
  /** The byte length of each level in the file, in order. */
  levels: number[];
}

/** The store file's size and modification time, or undefined while its write-ahead log holds anything. */
export function storeFileStamp(storeFile: string): string | undefined {
  const wal = `${storeFile}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) return undefined;
  const stat = statSync(storeFile, { bigint: true });
  return `${stat.size}:${stat.mtimeNs}`;
}

/** Saves the tree with the stamp of the store file as it is now (every connection to it closed). */
export async function saveTree(
  file: string,
  tree: MerkleTree,
  positions: LeafPositions,
  storeFile: string,
): Promise<boolean> {
  if (positions.count !== tree.size)
    throw new RangeError(`${positions.count} positions for a tree of ${tree.size} leaves: not saved`);
  const fileStamp = storeFileStamp(storeFile);
  if (fileStamp === undefined) return false;
  // Written from where the tree keeps them, part by part (its memory, or the leaves in the file it was
  // loaded from, which is replaced only once this one is whole): at 1M events, 72 MB not copied twice.
  const header: Header = { magic: MAGIC, size: tree.size, fileStamp, levels: tree.levelLengths() };
  const head = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  try {
    const fd = openSync(`${file}.tmp`, 'w');
    try {
      writeWholeSync(fd, length);
      writeWholeSync(fd, head);
      // One position a leaf, as doubles: the file's format whatever the column keeps in memory.
      for (const piece of positions.pieces())
        writeWholeSync(fd, new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength));
      for (const piece of tree.levelPieces()) writeWholeSync(fd, piece);
    } finally {
      closeSync(fd);
    }
    renameSync(`${file}.tmp`, file);
  } catch (error) {
    // A half-written temporary file (a full disk) is worth nothing: leave none behind.
    rmSync(`${file}.tmp`, { force: true });
    throw error;
  }
  return true;
}

export interface SavedTree {
  tree: MerkleTree;
  /** Leaf index → global position. */
  positions: LeafPositions;
  /** The store file's stamp it was saved with (`storeFileStamp`). */
  fileStamp?: string;
}

/** The saved tree beside the store's file. */
export const treeFileFor = (storeFile: string) => path.join(path.dirname(storeFile), 'log.tree');

/**
 * Where a tree made from every event at a first start writes its leaves, out of memory
 * (MerkleTree.moveLeavesTo): beside the saved tree, and unlinked as soon as it is written.
 */
export const leavesFileFor = (treeFile: string) => path.join(path.dirname(treeFile), 'log.leaves');

/**
 * The tree saved beside the embedded store in `dataDir`, if the store's file is still exactly the one
 * it was saved with. Call before the store is opened: opening it writes to its write-ahead log.
 */
export async function savedTreeIn(dataDir: string): Promise<SavedTree | undefined> {
  const storeFile = path.join(dataDir, 'ledger.sqlite');
  return existsSync(storeFile) ? loadTree(treeFileFor(storeFile), storeFile) : undefined;
}

/**
 * The saved tree, if the store file is exactly the one it was saved with. The reads are the
 * thread pool's, all issued at once: this thread goes on (a restart loads the HTTP app's modules
 * meanwhile) and no read waits for this thread to ask for the next.
 */
export async function loadTree(file: string, storeFile: string): Promise<SavedTree | undefined> {
  if (!existsSync(file)) return undefined;
  let handle: FileHandle | undefined;
  let tree: MerkleTree | undefined;
  const reads: Promise<Uint8Array>[] = [];
  try {
    handle = await open(file, 'r');
    const fileLength = (await handle.stat()).size;
    const headLength = Buffer.from(await readWhole(handle, new Uint8Array(4), 0)).readUInt32BE(0);
    if (4 + headLength > fileLength) return undefined;
    const header = JSON.parse(Buffer.from(await readWhole(handle, new Uint8Array(headLength), 4)).toString()) as Header;
    if (header.magic !== MAGIC && header.magic !== EVERY_LEVEL) return undefined;
    if (storeFileStamp(storeFile) !== header.fileStamp) return undefined;
    // Nothing is allocated for what the file does not hold: a damaged header naming billions of
    // hashes is refused here, not after reserving memory for them.
    const bodyLength = header.size * 8 + header.levels.reduce((sum, length) => sum + length, 0);
    if (4 + headLength + bodyLength !== fileLength) return undefined;
    if (header.levels[0] !== header.size * 32) return undefined; // a position for every leaf, and a leaf for every position
    // Read straight into where each part lives (the positions, each level with its room to grow): at
    // 1M events, 51 MB neither read into a buffer of its own first nor copied out of it.
    const bodyStart = 4 + headLength;
    // Read whole, then kept as runs (LeafPositions): the file's array is garbage once they are made.
    const positions = new Float64Array(header.size);
    reads.push(readWhole(handle, new Uint8Array(positions.buffer, 0, header.size * 8), bodyStart));
    let at = bodyStart + header.size * 8;
    const starts = header.levels.map((length) => (at += length) - length);
    const kept = header.levels.map((_, level) => level).filter((level) => header.magic === MAGIC || level % 2 === 0);
    // The leaves' whole chunks stay in this file, read when a proof needs them (MerkleTree.readLevels).
    tree = MerkleTree.readLevels(
      kept.map((level) => header.levels[level]!),
      (into, j, offset) => reads.push(readWhole(handle!, into, starts[kept[j]!]! + offset)),
      { file, offset: starts[0]! },
    );
    await Promise.all(reads);
    return { tree, positions: LeafPositions.from(positions), fileStamp: header.fileStamp };
  } catch {
    await Promise.allSettled(reads); // none left failing unheard, once the levels are refused
    tree?.close(); // the descriptor its leaves would have been read through
    return undefined; // unreadable, or not the length its header says: recomputed from the store
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Fills `into` from the file at `position`; a file that ends first is an error. */
async function readWhole(handle: FileHandle, into: Uint8Array, position: number): Promise<Uint8Array> {
  for (let done = 0; done < into.length;) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error('the saved tree ends early');
    done += bytesRead;
  }
  return into;
}
