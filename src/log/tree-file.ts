/**
 * The log's tree saved beside an embedded store on a clean stop, so a
 * restart need not recompute a million canonical leaves. It is used only for
 * the very file it was saved with: the SHA-256 of the store file, taken once
 * every connection has closed, must be the same at the next start (and no
 * write-ahead log may be pending). Any change to the file (an edit, a row
 * added behind the service's back, even a VACUUM) makes the service
 * recompute every leaf from the store. This is a tripwire, not the
 * guarantee: whoever can rewrite the store can rewrite this file too, which
 * is why the service also recomputes every leaf in the background after it
 * starts, and why auditors and witnesses keep checkpoints (docs/verification.md).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { MerkleTree } from './merkle.js';

const MAGIC = 'mss-ledger-log-tree/2';

interface Header {
  magic: string;
  size: number;
  fileDigest: string;
  levels: number[];
}

/** SHA-256 of the store file, or undefined while its write-ahead log holds anything. */
export async function storeFileDigest(storeFile: string): Promise<string | undefined> {
  const wal = `${storeFile}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(storeFile, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

/** Saves the tree with the digest of the store file as it is now (every connection to it closed). */
export async function saveTree(
  file: string,
  tree: MerkleTree,
  positions: Float64Array,
  storeFile: string,
): Promise<boolean> {
  const fileDigest = await storeFileDigest(storeFile);
  if (fileDigest === undefined) return false;
  const levels = tree.exportLevels();
  const header: Header = { magic: MAGIC, size: tree.size, fileDigest, levels: levels.map((l) => l.length) };
  const head = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  const body = Buffer.from(positions.buffer, positions.byteOffset, tree.size * 8);
  try {
    writeFileSync(`${file}.tmp`, Buffer.concat([length, head, body, ...levels]));
    renameSync(`${file}.tmp`, file);
  } catch (error) {
    // A half-written temporary file (a full disk) is worth nothing: leave none behind.
    rmSync(`${file}.tmp`, { force: true });
    throw error;
  }
  return true;
}

/** The saved tree, if the store file is exactly the one it was saved with. */
export async function loadTree(
  file: string,
  storeFile: string,
): Promise<{ tree: MerkleTree; positions: Float64Array } | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const bytes = readFileSync(file);
    const headLength = bytes.readUInt32BE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + headLength).toString()) as Header;
    if (header.magic !== MAGIC) return undefined;
    if ((await storeFileDigest(storeFile)) !== header.fileDigest) return undefined;
    let offset = 4 + headLength;
    const positions = new Float64Array(header.size);
    Buffer.from(positions.buffer).set(bytes.subarray(offset, offset + header.size * 8));
    offset += header.size * 8;
    const levels = header.levels.map((length) => {
      const level = bytes.subarray(offset, offset + length);
      offset += length;
      return level;
    });
    return { tree: MerkleTree.fromLevels(levels), positions };
  } catch {
    return undefined;
  }
}
