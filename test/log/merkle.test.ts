/**
 * The log's Merkle tree against RFC 9162 §2.1 itself: the published
 * Certificate Transparency vectors, and a naive recursive reference written
 * straight from the RFC's definitions, for random sizes and indices. Every
 * proof verifies; every proof with one bit changed does not.
 */
import fc from 'fast-check';
import t from 'tap';
import {
  CHUNK_HASHES,
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  keptLevelCounts,
  leafHash,
  MerkleTree,
  nodeHash,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
} from '../../src/log/merkle.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');

// RFC 6962 / RFC 9162 test vectors as published by transparency-dev/merkle (testonly/constants.go):
// the leaves, the root of every size 0..8, two inclusion proofs and two consistency proofs. Data only.
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];
const CT_CONSISTENCY = [
  {
    first: 2,
    second: 8,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    first: 2,
    second: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

// The reference: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 transcribed as recursion over arrays of leaf hashes.
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return EMPTY_ROOT;
  if (d.length === 1) return d[0]!;
  const k = splitPoint(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = splitPoint(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = splitPoint(d.length);
  return m <= k
    ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))]
    : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

const leavesOf = (n: number, salt: number) =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`event ${salt}/${i}`)));
/** Leaves appended as bytes and, every other one, as the binary string the service appends. */
const treeOf = (leaves: Uint8Array[]) => {
  const tree = new MerkleTree();
  for (const [i, leaf] of leaves.entries())
    if (i % 2 === 0) tree.append(leaf);
    else tree.appendBinary(Buffer.from(leaf).toString('latin1'));
  return tree;
};
const flipBit = (proof: Uint8Array[], which: number, bit: number) =>
  proof.map((h, i) => {
    if (i !== which) return h;
    const copy = Buffer.from(h);
    copy[bit >> 3]! ^= 1 << (bit & 7);
    return copy;
  });

t.test('the published Certificate Transparency vectors', async (t) => {
  const tree = treeOf(CT_LEAVES.map((l) => leafHash(l)));
  for (let n = 0; n <= 8; n++) t.equal(hex(tree.root(n)), CT_ROOTS[n], `root of the first ${n} leaves`);
  for (const v of CT_INCLUSION) {
    t.same(inclusionProof(tree, v.index, v.size).map(hex), v.proof, `inclusion of ${v.index} in ${v.size}`);
    t.ok(verifyInclusion(tree.leaf(v.index), v.index, v.size, v.proof.map(unhex), unhex(CT_ROOTS[v.size]!)));
  }
  for (const v of CT_CONSISTENCY) {
    t.same(consistencyProof(tree, v.first, v.second).map(hex), v.proof, `consistency ${v.first} → ${v.second}`);
    t.ok(
      verifyConsistency(v.first, v.second, v.proof.map(unhex), unhex(CT_ROOTS[v.first]!), unhex(CT_ROOTS[v.second]!)),
    );
  }
});

t.test(
  'every size up to 70: roots, every inclusion and consistency proof equal the reference and verify',
  async (t) => {
    const leaves = leavesOf(70, 1);
    const tree = treeOf(leaves);
    let checked = 0;
    for (let n = 1; n <= leaves.length; n++) {
      const d = leaves.slice(0, n);
      const root = mth(d);
      if (hex(tree.root(n)) !== hex(root)) t.fail(`root of ${n}`);
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(tree, m, n);
        if (proof.map(hex).join() !== path(m, d).map(hex).join()) t.fail(`inclusion ${m}/${n} differs`);
        if (!verifyInclusion(leaves[m]!, m, n, proof, root)) t.fail(`inclusion ${m}/${n} does not verify`);
        checked++;
      }
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(tree, m, n);
        if (proof.map(hex).join() !== subproof(m, d, true).map(hex).join()) t.fail(`consistency ${m}→${n} differs`);
        if (!verifyConsistency(m, n, proof, mth(leaves.slice(0, m)), root)) t.fail(`consistency ${m}→${n} fails`);
        checked++;
      }
    }
    t.equal(checked, 70 * 71, 'every pair checked');
  },
);

t.test('random sizes and indices: proofs equal the reference, verify, and fail with any one bit changed', async (t) => {
  const leaves = leavesOf(600, 2);
  const tree = treeOf(leaves);
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 600 }),
      fc.nat(),
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      (n, a, b, which, bit) => {
        const m = a % n;
        const d = leaves.slice(0, n);
        const root = mth(d);
        const proof = inclusionProof(tree, m, n);
        if (proof.map(hex).join() !== path(m, d).map(hex).join()) return false;
        if (!verifyInclusion(leaves[m]!, m, n, proof, root)) return false;
        if (proof.length > 0 && verifyInclusion(leaves[m]!, m, n, flipBit(proof, which % proof.length, bit), root))
          return false;
        // A changed leaf, root, index or size fails too.
        if (verifyInclusion(flipBit([leaves[m]!], 0, bit)[0]!, m, n, proof, root)) return false;
        if (verifyInclusion(leaves[m]!, m, n, proof, flipBit([root], 0, bit)[0]!)) return false;
        if (n > 1 && verifyInclusion(leaves[m]!, (m + 1) % n, n, proof, root)) return false;
        const first = 1 + (b % n);
        const cproof = consistencyProof(tree, first, n);
        const firstRoot = mth(leaves.slice(0, first));
        if (cproof.map(hex).join() !== subproof(first, d, true).map(hex).join()) return false;
        if (!verifyConsistency(first, n, cproof, firstRoot, root)) return false;
        if (
          cproof.length > 0 &&
          verifyConsistency(first, n, flipBit(cproof, which % cproof.length, bit), firstRoot, root)
        )
          return false;
        if (verifyConsistency(first, n, cproof, flipBit([firstRoot], 0, bit)[0]!, root)) return false;
        if (verifyConsistency(first, n, cproof, firstRoot, flipBit([root], 0, bit)[0]!)) return false;
        return true;
      },
    ),
    { numRuns: 400 },
  );
  t.pass('400 random cases');
});

t.test('bad sizes are refused, not answered', async (t) => {
  const tree = treeOf(leavesOf(10, 3));
  t.throws(() => inclusionProof(tree, 10, 10), RangeError);
  t.throws(() => inclusionProof(tree, 0, 11), RangeError);
  t.throws(() => inclusionProof(tree, 0, 0), RangeError);
  t.throws(() => consistencyProof(tree, 0, 5), RangeError);
  t.throws(() => consistencyProof(tree, 6, 5), RangeError);
  t.throws(() => consistencyProof(tree, 5, 11), RangeError);
  t.notOk(verifyConsistency(5, 4, [], tree.root(5), tree.root(4)));
  t.notOk(verifyConsistency(4, 6, [], tree.root(4), tree.root(6)), 'an empty proof between different sizes fails');
  t.ok(verifyConsistency(4, 4, [], tree.root(4), tree.root(4)));
});

t.test('a tree saved as its levels and restored answers the same, and grows on', async (t) => {
  const leaves = leavesOf(300, 4);
  const tree = treeOf(leaves.slice(0, 257));
  const restored = MerkleTree.fromLevels(tree.exportLevels());
  for (const leaf of leaves.slice(257)) restored.append(leaf);
  const whole = treeOf(leaves);
  for (const n of [1, 2, 100, 256, 257, 258, 300]) t.equal(hex(restored.root(n)), hex(whole.root(n)), `root ${n}`);
  t.same(inclusionProof(restored, 77, 290).map(hex), inclusionProof(whole, 77, 290).map(hex));
  restored.truncate(130);
  t.equal(restored.size, 130);
  t.equal(hex(restored.root()), hex(whole.root(130)));
  restored.append(leaves[130]!);
  t.equal(hex(restored.root()), hex(whole.root(131)));
});

t.test('a tree moved to another thread as its levels answers the same there, and grows on', async (t) => {
  const { MessageChannel, receiveMessageOnPort } = await import('node:worker_threads');
  const leaves = leavesOf(3000, 5);
  const whole = treeOf(leaves);
  for (const size of [0, 1, 2, 1024, 1025, 2047, 2048, 2500]) {
    const levels = treeOf(leaves.slice(0, size)).releaseLevels();
    // As the tree thread sends it: the leaves' shared memory shared, every other level's buffer moved, none copied.
    const { port1, port2 } = new MessageChannel();
    const buffers = levels.flatMap((l) => l.chunks.map((chunk) => chunk.buffer));
    t.ok(
      levels[0]!.chunks.every((chunk) => chunk.buffer instanceof SharedArrayBuffer),
      `${size}: the leaves in shared memory`,
    );
    port1.postMessage(
      levels,
      buffers.filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer),
    );
    if (levels.length > 1) t.equal(levels[1]!.chunks[0]!.byteLength, 0, `${size}: the sender's other buffers are gone`);
    const moved = receiveMessageOnPort(port2)!.message as typeof levels;
    port1.close();
    // The leaves the sender had are the very memory the receiver has: one written is the other written.
    const sentLeaves = levels[0]!.chunks[0]!;
    const adopted = MerkleTree.adoptLevels(moved);
    if (size > 0) {
      const before = adopted.leaf(0)[0]!;
      sentLeaves[0] = before ^ 1;
      t.equal(adopted.leaf(0)[0], before ^ 1, `${size}: the leaves shared, not copied`);
      sentLeaves[0] = before;
    }
    t.equal(adopted.size, size);
    t.equal(hex(adopted.root()), hex(whole.root(size)), `${size}: the same root`);
    for (const leaf of leaves.slice(size, size + 1100)) adopted.append(leaf);
    const grown = Math.min(size + 1100, leaves.length);
    t.equal(hex(adopted.root()), hex(whole.root(grown)), `${size}: grows on to ${grown}`);
    t.same(
      Buffer.concat(adopted.leafChunks().inMemory),
      Buffer.concat(Array.from({ length: grown }, (_, i) => whole.leaf(i))),
      `${size}: its leaves`,
    );
  }
  t.throws(
    () => MerkleTree.adoptLevels([{ chunks: [new Uint8Array(32)], count: 2 }]),
    RangeError,
    'a level short of its count',
  );
  t.throws(
    () => MerkleTree.adoptLevels([{ chunks: [new Uint8Array(64), new Uint8Array(CHUNK_HASHES * 32)], count: 3 }]),
    RangeError,
    'a chunk before the last that is not whole',
  );
  t.throws(() => whole.leafChunks(3001), RangeError, 'more leaves than it has');
  const first = whole.leafChunks(2000).inMemory;
  t.same(Buffer.concat(first), Buffer.concat(Array.from({ length: 2000 }, (_, i) => whole.leaf(i))), 'the first 2,000');
  t.ok(
    first.every((chunk) => chunk.buffer instanceof SharedArrayBuffer),
    'in shared memory, for a thread to read where they are',
  );
  t.same(whole.leafChunks(0), { inMemory: [] }, 'none');
});

t.test(
  'a tree of more than one chunk per level: roots and proofs across chunk boundaries, restored and moved alike',
  async (t) => {
    // Two and a bit chunks of leaves: the leaf level spans three chunks, level 1 two.
    const count = 2 * CHUNK_HASHES + 1500;
    const leaves = leavesOf(count, 9);
    const whole = treeOf(leaves);
    const sizes = [CHUNK_HASHES - 1, CHUNK_HASHES, CHUNK_HASHES + 1, 2 * CHUNK_HASHES, 2 * CHUNK_HASHES + 1, count];
    // The reference: the RFC's recursion over the same leaves, never the levels.
    const roots = new Map(sizes.map((n) => [n, hex(mth(leaves.slice(0, n)))]));
    for (const n of sizes) t.equal(hex(whole.root(n)), roots.get(n), `root ${n}`);
    for (const index of [0, CHUNK_HASHES - 1, CHUNK_HASHES, 2 * CHUNK_HASHES + 7]) {
      const proof = inclusionProof(whole, index, count);
      t.ok(verifyInclusion(whole.leaf(index), index, count, proof, whole.root()), `leaf ${index} proved`);
    }
    const saved = whole.exportLevels();
    t.equal(saved[0]!.length, count * 32, 'the leaf level exported whole, across its chunks');
    const restored = MerkleTree.fromLevels(saved);
    const moved = MerkleTree.adoptLevels(treeOf(leaves.slice(0, CHUNK_HASHES + 1)).releaseLevels());
    for (const leaf of leaves.slice(CHUNK_HASHES + 1)) moved.append(leaf);
    for (const n of sizes) {
      t.equal(hex(restored.root(n)), roots.get(n), `restored: root ${n}`);
      t.equal(hex(moved.root(n)), roots.get(n), `moved at ${CHUNK_HASHES + 1} and grown on: root ${n}`);
    }
    const chunks = moved.leafChunks().inMemory;
    t.same(
      chunks.map((chunk) => chunk.length / 32),
      [CHUNK_HASHES, CHUNK_HASHES, 1500],
      'its leaves, chunk by chunk',
    );
    t.same(Buffer.concat(chunks), saved[0], 'across chunks, the leaves');
    t.same(
      Buffer.concat(moved.leafChunks(CHUNK_HASHES + 7).inMemory),
      saved[0]!.subarray(0, (CHUNK_HASHES + 7) * 32),
      'a prefix that ends inside a chunk',
    );
    moved.truncate(CHUNK_HASHES - 5);
    for (const leaf of leaves.slice(CHUNK_HASHES - 5, CHUNK_HASHES + 3)) moved.append(leaf);
    t.equal(
      hex(moved.root()),
      hex(mth(leaves.slice(0, CHUNK_HASHES + 3))),
      'cut back into its first chunk, and grown past it again',
    );
  },
);

t.test("a tree keeps levels 0, 2, 4 … and no odd one, and refuses levels that are not one tree's", async (t) => {
  const leaves = leavesOf(1100, 12);
  for (const size of [0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 1100]) {
    const tree = treeOf(leaves.slice(0, size));
    const levels = tree.exportLevels();
    t.same(
      levels.map((level) => level.length / 32),
      keptLevelCounts(size),
      `${size}: ⌊${size} / 4^j⌋ hashes at level 2j, to the last that holds any`,
    );
    // Each kept node is the RFC's hash of its 4^j leaves.
    levels.forEach((level, j) => {
      const width = 4 ** j;
      for (let i = 0; i < level.length / 32; i++)
        if (hex(level.subarray(i * 32, i * 32 + 32)) !== hex(mth(leaves.slice(i * width, (i + 1) * width))))
          t.fail(`${size}: node ${i} of level ${2 * j}`);
    });
    // An odd level's node, never kept, is hashed from the two below it when a proof needs it.
    if (size >= 2) t.equal(hex(tree.subtreeHash(0, 2)), hex(mth(leaves.slice(0, 2))), `${size}: a node of level 1`);
    if (size >= 8) t.equal(hex(tree.subtreeHash(0, 8)), hex(mth(leaves.slice(0, 8))), `${size}: a node of level 3`);
  }
  const sixteen = treeOf(leaves.slice(0, 16)).exportLevels();
  t.equal(sixteen.length, 3, 'sixteen leaves: levels 0, 2 and 4');
  t.throws(() => MerkleTree.fromLevels([sixteen[0]!]), /not the kept levels of a tree of 16 leaves/, 'a level missing');
  t.throws(
    () => MerkleTree.fromLevels([sixteen[0]!, Buffer.alloc(8 * 32), sixteen[2]!]),
    /not the kept levels/,
    'level 1 where level 2 belongs',
  );
  t.throws(
    () =>
      MerkleTree.adoptLevels([
        { chunks: [new Uint8Array(16 * 32)], count: 16 },
        { chunks: [new Uint8Array(32 * 8)], count: 8 },
      ]),
    /not the kept levels/,
    'moved levels, the second the wrong size',
  );
  t.equal(hex(MerkleTree.fromLevels(sixteen).root()), hex(mth(leaves.slice(0, 16))), 'the three, whole, are the tree');
});
