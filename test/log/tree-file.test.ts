/**
 * The saved tree (src/log/tree-file.ts) is read straight into the tree's levels. What comes back
 * must be the tree that was saved, ready to grow; a file that is cut short, or claims a level that
 * is not whole hashes, must come back as nothing (the tree is then recomputed from the store), never
 * as a tree with a hole in it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { RecordedEvent } from '../../events/index.js';
import { leafHashBinaryOfEvent } from '../../src/log/leaf.js';
import {
  CHUNK_HASHES,
  consistencyProof,
  inclusionProof,
  keptLevelCounts,
  leafHash,
  MerkleTree,
} from '../../src/log/merkle.js';
import { LeafComparer } from '../../src/log/tree-of-store.js';
import { loadTree, saveTree } from '../../src/log/tree-file.js';
import { LeafPositions } from '../../src/log/leaf-positions.js';

const leaf = (i: number) => leafHash(createHash('sha256').update(`event ${i}`).digest());

/** A tree of `size` leaves and their positions: 10 apart (each a run of its own), or one after another (`step` 1). */
function treeOf(size: number, step = 10): { tree: MerkleTree; positions: LeafPositions; list: Float64Array } {
  const tree = new MerkleTree();
  const list = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    tree.append(leaf(i));
    list[i] = step * (i + 1);
  }
  return { tree, positions: LeafPositions.from(list), list };
}

function files(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-tree-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = path.join(dir, 'ledger.sqlite');
  writeFileSync(store, 'a store file, stamped by its size and time');
  return { store, tree: path.join(dir, 'log.tree') };
}

t.test('a tree whose levels span several chunks is written and read chunk by chunk, in order', async (t) => {
  const { store, tree: file } = files(t);
  const size = 2 * CHUNK_HASHES + 3;
  const { tree, positions } = treeOf(size);
  t.ok(await saveTree(file, tree, positions, store));
  const saved = readFileSync(file);
  const keptHashes = keptLevelCounts(size).reduce((sum, count) => sum + count, 0);
  t.equal(saved.length, 4 + saved.readUInt32BE(0) + size * 8 + keptHashes * 32, 'the kept levels on file, no odd one');
  t.ok(keptHashes < size * 1.34, 'a third of the tree left out');
  const loaded = await loadTree(file, store);
  t.ok(loaded, 'loaded');
  t.same(loaded!.tree.exportLevels(), tree.exportLevels(), 'every level, hash for hash, across its chunks');
  for (let i = size; i < size + 40; i++) {
    tree.append(leaf(i));
    loaded!.tree.append(leaf(i));
  }
  t.same(loaded!.tree.root(), tree.root(), 'and it grows on as the original does');
});

/** A file as format 3 wrote it: every level, odd ones included, each node the RFC's hash of its subtree. */
function everyLevelFile(tree: MerkleTree, positions: Float64Array, fileStamp: string): Buffer {
  const levels: Buffer[] = [];
  for (let width = 1; width === 1 || width <= tree.size; width *= 2) {
    const nodes = Array.from({ length: Math.floor(tree.size / width) }, (_, i) =>
      tree.subtreeHash(i * width, (i + 1) * width),
    );
    levels.push(Buffer.concat(nodes));
  }
  const head = Buffer.from(
    JSON.stringify({ magic: 'mss-ledger-log-tree/3', size: tree.size, fileStamp, levels: levels.map((l) => l.length) }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  return Buffer.concat([length, head, Buffer.from(positions.buffer, 0, tree.size * 8), ...levels]);
}

t.test('a tree saved by the format before, every level on file, is taken up by its even levels', async (t) => {
  const { store, tree: file } = files(t);
  for (const size of [0, 1, 2, 3, 4, 5, 16, 17, CHUNK_HASHES + 9]) {
    const { tree, positions, list } = treeOf(size);
    t.ok(await saveTree(file, tree, positions, store));
    const head = readFileSync(file);
    const { fileStamp } = JSON.parse(head.subarray(4, 4 + head.readUInt32BE(0)).toString()) as { fileStamp: string };
    writeFileSync(file, everyLevelFile(tree, list, fileStamp));
    const loaded = await loadTree(file, store);
    t.ok(loaded, `${size}: loaded`);
    t.same(loaded!.tree.exportLevels(), tree.exportLevels(), `${size}: the kept levels, hash for hash`);
    t.same(loaded!.positions.slice(0), [...list], `${size}: its positions`);
    loaded!.tree.append(leaf(size));
    tree.append(leaf(size));
    t.same(loaded!.tree.root(), tree.root(), `${size}: and it grows on`);
  }
});

t.test("a saved tree's positions come back as they were saved, and grow on", async (t) => {
  for (const step of [1, 10]) {
    const { store, tree: file } = files(t);
    const { tree, positions, list } = treeOf(3_001, step);
    t.ok(await saveTree(file, tree, positions, store));
    const loaded = (await loadTree(file, store))!;
    t.equal(loaded.positions.count, 3_001, `step ${step}: one position a leaf`);
    t.same(loaded.positions.slice(0), [...list], `step ${step}: the saved positions`);
    t.equal(loaded.positions.last, step * 3_001);
    for (let i = 1; i <= 2_000; i++) loaded.positions.push(step * 3_001 + i);
    t.equal(loaded.positions.count, 5_001, `step ${step}: it grows on`);
    t.equal(loaded.positions.indexOf(step * 3_001 + 2_000), 5_000);
  }
});

t.test('a tree and positions of different lengths are not saved', async (t) => {
  const { store, tree: file } = files(t);
  const { tree } = treeOf(10);
  await t.rejects(saveTree(file, tree, LeafPositions.from([1, 2, 3]), store), /3 positions for a tree of 10 leaves/);
});

t.test('a saved tree loads as it was saved, and grows from there as the original does', async (t) => {
  const { store, tree: file } = files(t);
  const { tree, positions, list } = treeOf(3_001);
  t.ok(await saveTree(file, tree, positions, store));
  const loaded = await loadTree(file, store);
  t.ok(loaded, 'loaded');
  t.equal(loaded!.tree.size, 3_001);
  t.same(loaded!.tree.root(), tree.root(), 'the same root');
  t.same(loaded!.tree.exportLevels(), tree.exportLevels(), 'every level, hash for hash');
  t.same(loaded!.positions.slice(0), [...list], 'the same positions');
  for (let i = 3_001; i < 5_000; i++) {
    tree.append(leaf(i));
    loaded!.tree.append(leaf(i));
  }
  t.same(loaded!.tree.root(), tree.root(), 'grown past its room: still the same tree');

  const empty = treeOf(0);
  t.ok(await saveTree(file, empty.tree, empty.positions, store));
  t.equal((await loadTree(file, store))?.tree.size, 0, 'an empty tree too');
});

t.test('a saved tree cut short anywhere, or with a level of broken hashes, is not taken up', async (t) => {
  const { store, tree: file } = files(t);
  const { tree, positions } = treeOf(1_000);
  t.ok(await saveTree(file, tree, positions, store));
  const whole = readFileSync(file);
  const headLength = whole.readUInt32BE(0);
  const positionsEnd = 4 + headLength + 1_000 * 8;
  for (const [where, length] of [
    ['in the header', 4 + Math.floor(headLength / 2)],
    ['in the positions', positionsEnd - 8],
    ['in the leaves', positionsEnd + 500 * 32],
    ['one byte short', whole.length - 1],
  ] as const) {
    writeFileSync(file, whole);
    truncateSync(file, length);
    t.equal(await loadTree(file, store), undefined, `cut ${where}`);
  }

  // A header that claims a leaf level of 31 bytes more than whole hashes, the file long enough for it.
  const header = JSON.parse(whole.subarray(4, 4 + headLength).toString()) as { levels: number[] };
  header.levels[0] = header.levels[0]! - 1;
  const head = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  writeFileSync(file, Buffer.concat([length, head, whole.subarray(4 + headLength)]));
  t.equal(await loadTree(file, store), undefined, 'a level that is not whole hashes');

  // A header naming a billion leaves in front of a file of a thousand: refused before any room is made.
  const huge = { ...header, levels: [...header.levels], size: 1e9 };
  huge.levels[0] = 1e9 * 32;
  const hugeHead = Buffer.from(JSON.stringify(huge));
  length.writeUInt32BE(hugeHead.length);
  writeFileSync(file, Buffer.concat([length, hugeHead, whole.subarray(4 + headLength)]));
  t.equal(await loadTree(file, store), undefined, 'a header that claims more than the file holds');
  // One position more than there are leaves, the file as long as its header says: not one tree.
  const saved = JSON.parse(whole.subarray(4, 4 + headLength).toString()) as { size: number };
  const extraHead = Buffer.from(JSON.stringify({ ...saved, size: saved.size + 1 }));
  length.writeUInt32BE(extraHead.length);
  const body = whole.subarray(4 + headLength);
  const positionsBytes = saved.size * 8;
  writeFileSync(
    file,
    Buffer.concat([
      length,
      extraHead,
      body.subarray(0, positionsBytes),
      Buffer.alloc(8),
      body.subarray(positionsBytes),
    ]),
  );
  t.equal(await loadTree(file, store), undefined, 'more positions than leaves');
  writeFileSync(file, Buffer.concat([whole, Buffer.from('trailing')]));
  t.equal(await loadTree(file, store), undefined, 'a file longer than its header says');

  writeFileSync(file, whole);
  t.ok(await loadTree(file, store), 'the whole file, as saved, is taken up');
  utimesSync(store, new Date(), new Date(Date.now() - 60_000));
  t.equal(await loadTree(file, store), undefined, 'not for a store file whose time changed');
});

/** A recorded event for leaf `i` (what the background check hashes), its data naming it. */
const recorded = (i: number, note = 'as recorded'): RecordedEvent => ({
  id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
  type: 'Noted',
  stream: 'test',
  streamRevision: i,
  globalPosition: i + 1,
  occurredAt: '2025-01-01T00:00:00.000Z',
  recordedAt: '2025-01-02T00:00:00.000Z',
  recordedBy: 'test',
  schemaVersion: 1,
  data: { i, note },
  metadata: { occurredPrecision: 'day' },
});

/** A tree over `count` recorded events, saved, and loaded back: its whole chunks of leaves stay in the file. */
async function loadedTreeOf(t: Test, count: number) {
  const { store, tree: file } = files(t);
  const tree = new MerkleTree();
  for (let i = 0; i < count; i++) tree.appendBinary(leafHashBinaryOfEvent(recorded(i)));
  const positions = LeafPositions.from(Array.from({ length: count }, (_, i) => i + 1));
  t.ok(await saveTree(file, tree, positions, store));
  const loaded = (await loadTree(file, store))!;
  t.teardown(() => loaded.tree.close());
  return { tree, loaded, file, store };
}

t.test("a loaded tree leaves its leaves' whole chunks in the file, and answers as the tree it was", async (t) => {
  const count = 2 * CHUNK_HASHES + 1234;
  const { tree, loaded } = await loadedTreeOf(t, count);
  t.equal(loaded.tree.leafChunks().onDisk?.chunks, 2, 'two whole chunks of leaves on disk');
  t.same(
    loaded.tree.leafChunks().inMemory.map((chunk) => chunk.length / 32),
    [1234],
    'only the last, part-filled one in memory',
  );
  const sizes = [1, CHUNK_HASHES - 1, CHUNK_HASHES, CHUNK_HASHES + 1, 2 * CHUNK_HASHES + 1, count];
  for (const n of sizes) t.same(loaded.tree.root(n), tree.root(n), `root of ${n}`);
  for (const index of [0, 1, CHUNK_HASHES - 1, CHUNK_HASHES, 2 * CHUNK_HASHES - 2, count - 1]) {
    t.same(loaded.tree.leaf(index), tree.leaf(index), `leaf ${index}`);
    t.same(inclusionProof(loaded.tree, index, count), inclusionProof(tree, index, count), `inclusion of ${index}`);
  }
  for (const [from, to] of [
    [3, CHUNK_HASHES + 5],
    [CHUNK_HASHES - 1, count],
  ] as const)
    t.same(consistencyProof(loaded.tree, from, to), consistencyProof(tree, from, to), `consistency ${from} → ${to}`);
  for (let i = count; i < count + CHUNK_HASHES; i++) {
    const leafOf = leafHashBinaryOfEvent(recorded(i));
    tree.appendBinary(leafOf);
    loaded.tree.appendBinary(leafOf);
  }
  t.same(loaded.tree.root(), tree.root(), 'grown on past another chunk: the same root');
  t.same(loaded.tree.exportLevels(), tree.exportLevels(), 'every level, hash for hash');
});

t.test('a tree saved over the file its leaves are read from is written whole, then replaces it', async (t) => {
  const count = CHUNK_HASHES + 10;
  const { tree, loaded, file, store } = await loadedTreeOf(t, count);
  for (let i = count; i < count + 100; i++) {
    tree.appendBinary(leafHashBinaryOfEvent(recorded(i)));
    loaded.tree.appendBinary(leafHashBinaryOfEvent(recorded(i)));
  }
  const positions = LeafPositions.from(Array.from({ length: count + 100 }, (_, i) => i + 1));
  t.ok(await saveTree(file, loaded.tree, positions, store), 'saved over its own file');
  t.same(loaded.tree.root(), tree.root(), 'and still reads its leaves from the file it was loaded from');
  const again = (await loadTree(file, store))!;
  t.teardown(() => again.tree.close());
  t.same(again.tree.exportLevels(), tree.exportLevels(), 'the new file holds the whole tree');
  loaded.tree.close();
  t.throws(() => loaded.tree.leaf(5), /fd/, 'closed: a leaf on disk is an error, not a wrong hash');
});

t.test('a loaded tree cut back into its chunks on disk reads the chunk it ends in back into memory', async (t) => {
  const count = 2 * CHUNK_HASHES + 50;
  const { tree, loaded } = await loadedTreeOf(t, count);
  for (const size of [2 * CHUNK_HASHES + 10, CHUNK_HASHES + 7, CHUNK_HASHES]) {
    tree.truncate(size);
    loaded.tree.truncate(size);
    t.same(loaded.tree.root(), tree.root(), `cut to ${size}: the same root`);
    const next = leafHashBinaryOfEvent(recorded(size, 'appended after the cut'));
    tree.appendBinary(next);
    loaded.tree.appendBinary(next);
    t.same(loaded.tree.root(), tree.root(), `and grown by one from there`);
    tree.truncate(size);
    loaded.tree.truncate(size);
  }
  t.equal(loaded.tree.leafChunks().onDisk?.chunks, 1, 'the chunks before the cut stay on disk');
});

t.test('the background check reads leaves on disk as it reads them in memory', async (t) => {
  const count = CHUNK_HASHES + 300;
  const { loaded } = await loadedTreeOf(t, count);
  const check = (changedAt: number) => {
    const comparer = new LeafComparer(loaded.tree.leafChunks(), count);
    for (let i = 0; i < count; i++) if (!comparer.add(recorded(i, i === changedAt ? 'edited' : 'as recorded'))) break;
    return comparer.result;
  };
  t.same(check(-1), { read: count, first: -1, position: undefined }, 'every leaf as the store has it');
  t.same(check(777), { read: 778, first: 777, position: 778 }, 'an event changed under a leaf on disk');
  t.same(
    check(CHUNK_HASHES + 5),
    { read: CHUNK_HASHES + 6, first: CHUNK_HASHES + 5, position: CHUNK_HASHES + 6 },
    'and in memory',
  );
});

t.test("a tree made in memory moves its leaves' whole chunks to a file it unlinks at once", async (t) => {
  const { store, tree: file } = files(t);
  const count = 2 * CHUNK_HASHES + 99;
  const tree = new MerkleTree();
  const moved = new MerkleTree();
  for (let i = 0; i < count; i++) {
    const leafOf = leafHashBinaryOfEvent(recorded(i));
    tree.appendBinary(leafOf);
    moved.appendBinary(leafOf);
  }
  t.teardown(() => moved.close());
  const leavesFile = path.join(path.dirname(file), 'log.leaves');
  t.ok(moved.moveLeavesTo(leavesFile), 'moved');
  t.notOk(existsSync(leavesFile), 'and the file is gone from the directory: a crash leaves nothing behind');
  t.equal(moved.leafChunks().onDisk?.chunks, 2, 'two whole chunks out of memory');
  t.notOk(moved.moveLeavesTo(leavesFile), 'moved once only');
  for (const n of [1, CHUNK_HASHES, CHUNK_HASHES + 1, count]) t.same(moved.root(n), tree.root(n), `root of ${n}`);
  for (const index of [0, CHUNK_HASHES + 3, count - 1])
    t.same(inclusionProof(moved, index, count), inclusionProof(tree, index, count), `inclusion of ${index}`);
  const positions = LeafPositions.from(Array.from({ length: count }, (_, i) => i + 1));
  t.ok(await saveTree(file, moved, positions, store), 'saved from the leaves on disk');
  const loaded = (await loadTree(file, store))!;
  t.teardown(() => loaded.tree.close());
  t.same(loaded.tree.exportLevels(), tree.exportLevels(), 'the saved file holds the whole tree');

  const small = new MerkleTree();
  for (let i = 0; i < 100; i++) small.appendBinary(leafHashBinaryOfEvent(recorded(i)));
  t.notOk(small.moveLeavesTo(leavesFile), 'less than a chunk: nothing to move');
  t.notOk(moved.moveLeavesTo(path.join(file, 'no', 'such', 'dir')), 'already moved');
  const unwritable = new MerkleTree();
  for (let i = 0; i < CHUNK_HASHES; i++) unwritable.appendBinary(leafHashBinaryOfEvent(recorded(i)));
  t.notOk(unwritable.moveLeavesTo(path.join(file, 'no', 'such', 'dir')), 'a file that cannot be made: kept in memory');
  t.same(unwritable.root(), tree.root(CHUNK_HASHES), 'and answering as before');
});
