/**
 * The log's tree recomputed from a large embedded store on a second thread (src/log/tree-of-store.ts)
 * must be the tree the main thread makes, leaf for leaf, with the same positions and the same first
 * structural break; and a thread that cannot do it must cost time, never a wrong or missing tree.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { sqliteCheckpoints } from '../../src/log/checkpoints.js';
import { LedgerLog } from '../../src/log/ledger-log.js';
import { CHUNK_HASHES, type LeafChunks } from '../../src/log/merkle.js';
import { loadTree, saveTree } from '../../src/log/tree-file.js';
import { signerFromSeed } from '../../src/log/note.js';
import {
  compareWithStore,
  LeafComparer,
  compareWithStoreOffThread,
  recomputeTree,
  recomputeTreeOffThread,
  STOP,
  type RecomputedTree,
  type TreeWorkerData,
} from '../../src/log/tree-of-store.js';
import { workerEntry } from '../../src/worker-entry.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { events } from '../store/contract.js';
import { tempDir } from './support.js';

/** A store of `n` events over three streams, with data that needs escaping and sorting. */
async function storeOf(t: Test, n: number) {
  const file = path.join(tempDir(t), 'ledger.sqlite');
  const store = openSqliteStore({ file });
  t.teardown(() => store.close());
  const streams = ['ledger', 'shipment-1', 'custody-é'];
  for (let at = 0; at < n; at += 500) {
    const batch = events(Math.min(500, n - at)).map((e, i) => ({
      ...e,
      data: { z: at + i, a: `crate “${at + i}”\n`, nested: { y: [1.5, null, true], b: 'x' } },
    }));
    await store.append(streams[(at / 500) % 3]!, batch, 'any');
  }
  return { store, file };
}

const sameTree = (t: Test, got: RecomputedTree, want: RecomputedTree) => {
  t.equal(got.tree.size, want.tree.size, 'as many leaves');
  t.same(got.tree.root(), want.tree.root(), 'the same root');
  t.same(got.positions.slice(0), want.positions.slice(0), 'the same positions');
  t.same(got.structural, want.structural, 'the same first structural break');
};

t.test('the second thread makes the tree the main thread makes', async (t) => {
  const { store, file } = await storeOf(t, 4321);
  const here = await recomputeTree(store);
  const there = await recomputeTreeOffThread(store, file, { progressEvery: 1000 });
  t.equal(there.thread, 'second', 'made on the second thread');
  sameTree(t, there, here);
  t.equal(here.tree.size, 4321);
});

t.test('an empty store: an empty tree from the second thread', async (t) => {
  const { store, file } = await storeOf(t, 0);
  const there = await recomputeTreeOffThread(store, file);
  t.equal(there.thread, 'second');
  sameTree(t, there, await recomputeTree(store));
});

t.test('a stream whose revisions jump is named the same way on either thread', async (t) => {
  const { store, file } = await storeOf(t, 3000);
  await store.close();
  const db = new Database(file);
  db.exec('DROP TRIGGER IF EXISTS events_no_delete');
  db.prepare('DELETE FROM events WHERE position = ?').run(1700);
  db.close();
  const reopened = openSqliteStore({ file });
  t.teardown(() => reopened.close());
  const here = await recomputeTree(reopened);
  t.equal(here.structural?.position, 1701, 'the event after the deleted one');
  const there = await recomputeTreeOffThread(reopened, file);
  t.equal(there.thread, 'second');
  sameTree(t, there, here);
});

t.test('a thread that cannot do it: the tree is made here, and the reason told', async (t) => {
  const { store, file } = await storeOf(t, 1200);
  const here = await recomputeTree(store);
  const cases: [string, Parameters<typeof recomputeTreeOffThread>[2], RegExp][] = [
    [
      'it cannot start',
      {
        startWorker: () => {
          throw new Error('no threads here');
        },
      },
      /could not start: no threads here/,
    ],
    [
      'it exits without an answer',
      { startWorker: () => new Worker('process.exit(3)', { eval: true }) },
      /exited \(code 3\) without an answer/,
    ],
    ['it throws', { startWorker: () => new Worker('throw new Error("boom")', { eval: true }) }, /failed: boom/],
    [
      'it goes quiet',
      { startWorker: () => new Worker('setInterval(() => {}, 1000)', { eval: true }), silentForMs: 200 },
      /silent for 200 ms/,
    ],
  ];
  for (const [name, options, why] of cases) {
    const told: string[] = [];
    const outcome = await recomputeTreeOffThread(store, file, { ...options, onFallback: (w) => told.push(w) });
    t.equal(outcome.thread, 'this', `${name}: made here`);
    if (outcome.thread === 'this') t.match(outcome.why, why, `${name}: ${outcome.why}`);
    t.same(told.length, 1, `${name}: told once`);
    sameTree(t, outcome, here);
  }
});

t.test('a store file the thread cannot open: the tree is made here from the store', async (t) => {
  const { store } = await storeOf(t, 600);
  const outcome = await recomputeTreeOffThread(store, path.join(tempDir(t), 'absent.sqlite'));
  t.equal(outcome.thread, 'this');
  if (outcome.thread === 'this') t.match(outcome.why, /could not read the store/);
  sameTree(t, outcome, await recomputeTree(store));
});

t.test('a tree is always made whole: a stop raised before the thread starts stops only a comparison', async (t) => {
  const { store, file } = await storeOf(t, 6000);
  // The worker is given a stop flag already raised: a comparison would stop at its first page.
  const raised = (data: TreeWorkerData) => {
    Atomics.store(data.stop, STOP, 1);
    const { entry, eval: isScript } = workerEntry(
      'tree-worker',
      new URL('../../src/log/tree-of-store.ts', import.meta.url).href,
    );
    return new Worker(entry, { eval: isScript, workerData: data });
  };
  const outcome = await recomputeTreeOffThread(store, file, { startWorker: raised, progressEvery: 1000 });
  t.equal(outcome.thread, 'second');
  sameTree(t, outcome, await recomputeTree(store));
  const { tree } = await recomputeTree(store);
  const { chunks, count } = leavesOf(tree);
  const compared = await compareWithStoreOffThread(store, file, chunks, count, {
    startWorker: raised,
    progressEvery: 1000,
  });
  t.equal(compared.thread, 'second');
  t.ok(compared.read < 6000, `the comparison stopped after ${compared.read} of 6,000 leaves`);
});

t.test('a log opened with its tree made on the second thread is the log made here', async (t) => {
  const { store, file } = await storeOf(t, 2500);
  const signer = signerFromSeed('test.example/log', randomBytes(32));
  const opened = [];
  for (const treeThread of ['never', 'always'] as const) {
    const log = await LedgerLog.open(store, { signer, storage: sqliteCheckpoints(file), treeThread });
    opened.push({ root: log.tree.root(), size: log.tree.size, status: log.status });
    // Appended without a log: every event is beyond the last (absent) checkpoint.
    t.match(log.status, { state: 'unsigned-tail', treeSize: 2500, signedSize: 0 }, `${treeThread}: an unsigned tail`);
    t.same(
      await log.verifyAgainstStore(),
      log.status,
      `${treeThread}: the check against the store finds no other fault`,
    );
    await log.stopChecking();
  }
  t.same(opened[1], opened[0]);
});

/**
 * The first `count` leaves of a tree, as the background check hands them over (the tree's own
 * chunks, in shared memory), and `extra` leaves after them that no event hashes to.
 */
const leavesOf = (tree: RecomputedTree['tree'], count = tree.size, extra = 0) => {
  const chunks = tree.leafChunks(count);
  if (extra > 0) chunks.inMemory.push(new Uint8Array(new SharedArrayBuffer(extra * 32)).fill(7));
  return { chunks, count: count + extra };
};

t.test(
  'the leaves of the store compared with a tree: where they first differ, the same on either thread',
  async (t) => {
    const { store, file } = await storeOf(t, 3000);
    const { tree } = await recomputeTree(store);
    const fails = {
      startWorker: () => {
        throw new Error('no threads here');
      },
    };
    const both = async ({ chunks, count }: { chunks: LeafChunks; count: number }) => {
      const here = await compareWithStore(store, chunks, count);
      const there = await compareWithStoreOffThread(store, file, chunks, count);
      const fallen = await compareWithStoreOffThread(store, file, chunks, count, fails);
      t.equal(there.thread, 'second');
      t.equal(fallen.thread, 'this');
      t.same(
        [there, fallen].map(({ read, first, position }) => ({ read, first, position })),
        [here, here],
      );
      return here;
    };
    t.same(await both(leavesOf(tree)), { read: 3000, first: -1, position: undefined }, 'the same leaves');
    t.same(
      await both(leavesOf(tree, 1200)),
      { read: 1200, first: -1, position: undefined },
      'a prefix: read no further',
    );
    t.same(
      await both(leavesOf(tree, 3000, 2)),
      { read: 3000, first: 3000, position: undefined },
      'a tree with more leaves than the store has events: the store lacks the next one',
    );
    // A leaf of the tree itself changed where it is kept: the thread reads it there, not from a copy.
    const changed = leavesOf(tree);
    const [chunk] = changed.chunks.inMemory;
    chunk![1777 * 32 + 5]! ^= 1;
    const positions = (await store.readAll({ after: 1777, limit: 1 }))[0]!.globalPosition;
    t.same(
      await both(changed),
      { read: 1778, first: 1777, position: positions },
      'a leaf that differs: read no further',
    );
    chunk![1777 * 32 + 5]! ^= 1;
    t.same(await both(leavesOf(tree)), { read: 3000, first: -1, position: undefined }, 'and changed back');
    t.throws(() => new LeafComparer(tree.leafChunks(10), 11), /11 leaves to compare, and 10 given/);
  },
);

t.test('the comparison stops when asked to', async (t) => {
  const { store, file } = await storeOf(t, 6000);
  const { tree } = await recomputeTree(store);
  const { chunks } = leavesOf(tree);
  const there = await compareWithStoreOffThread(store, file, chunks, 6000, { stop: () => true, progressEvery: 1000 });
  t.equal(there.thread, 'second');
  t.ok(there.read < 6000, `stopped after ${there.read} of 6,000 leaves`);
  const here = await compareWithStore(store, chunks, 6000, () => true);
  t.ok(here.read < 6000, `here too, after ${here.read}`);
});

t.test("the check's thread reads a saved tree's leaves where they are kept, in its file", async (t) => {
  const count = CHUNK_HASHES + 700; // one whole chunk of leaves stays on disk when the tree is loaded
  const { store, file } = await storeOf(t, count);
  const { tree, positions } = await recomputeTree(store);
  const treeFile = path.join(path.dirname(file), 'log.tree');
  await store.close();
  t.ok(await saveTree(treeFile, tree, positions, file));
  // A leaf in the file's first chunk changed, as a damaged or edited cache would have it.
  const bytes = readFileSync(treeFile);
  const leavesAt = 4 + bytes.readUInt32BE(0) + count * 8;
  bytes[leavesAt + 777 * 32 + 3]! ^= 1;
  const damaged = `${treeFile}.damaged`;
  writeFileSync(damaged, bytes);
  const reopened = openSqliteStore({ file, readonly: true });
  t.teardown(() => reopened.close());
  for (const [name, at, first] of [
    ['as saved', treeFile, -1],
    ['damaged', damaged, 777],
  ] as const) {
    const loaded = (await loadTree(at, file))!;
    t.ok(loaded, `${name}: loaded`);
    const leaves = loaded.tree.leafChunks();
    t.equal(leaves.onDisk?.chunks, 1, `${name}: its first chunk of leaves on disk`);
    const there = await compareWithStoreOffThread(reopened, file, leaves, count);
    const here = await compareWithStore(reopened, leaves, count);
    t.equal(there.thread, 'second');
    t.equal(there.first, first, `${name}: the thread finds ${first < 0 ? 'no leaf that differs' : `leaf ${first}`}`);
    t.equal(here.first, first, `${name}: as this thread does`);
    loaded.tree.close();
  }
});
