/**
 * Large batches' leaves are hashed on a second thread (src/log/leaf-thread.ts) from the JSON the
 * rows hold, while the main thread writes the rest of the batch. The leaves must be the ones the
 * main thread would make, whatever comes back from the thread and in whatever order appends
 * succeed or roll back; and a thread that fails must cost speed, never a signature.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { RecordedEvent } from '../../events/index.js';
import { sqliteCheckpoints } from '../../src/log/checkpoints.js';
import { leafHashBinaryOfEvent, leafHashesOfStored, storedAppendOf, type StoredAppend } from '../../src/log/leaf.js';
import { LeafThread } from '../../src/log/leaf-thread.js';
import { LEAF_THREAD_MIN_BATCH, LedgerLog } from '../../src/log/ledger-log.js';
import { recomputeTree } from '../../src/log/tree-of-store.js';
import { openCheckpoint, parseVerifierKey, signerFromSeed } from '../../src/log/note.js';
import { openSqliteStore, ROWS_RUN } from '../../src/store/sqlite.js';
import { events as plainEvents } from '../store/contract.js';
import { tempDir } from './support.js';

/** Events whose data and metadata have keys out of order, nesting, fractions and text to escape. */
const events = (n: number) =>
  plainEvents(n).map((e, i) => ({
    ...e,
    data: {
      zone: `z${i}`,
      amount: i / 3,
      note: 'crates “sealed”\n',
      items: [
        { sku: 'B', qty: i },
        { b: null, a: true },
      ],
    },
    metadata: { source: { reference: `r${i}`, document: 'doc' }, occurredPrecision: 'day' as const },
  }));

/** An append packed as the log sends it, from events as they were stored and the JSON of their rows. */
const packed = (stored: readonly RecordedEvent[]): StoredAppend =>
  storedAppendOf(
    stored,
    stored.map((e) => JSON.stringify(e.data)),
    stored.map((e) => JSON.stringify(e.metadata)),
  );

const recorded = (n: number, firstPosition: number): RecordedEvent[] =>
  events(n).map((e, i) => ({
    ...e,
    stream: 'ledger',
    streamRevision: firstPosition - 1 + i,
    globalPosition: firstPosition + i,
    recordedAt: '2026-12-02T09:00:00.000Z',
  }));

async function startedThread(t: Test): Promise<LeafThread> {
  const thread = LeafThread.start();
  if (!thread) throw new Error('no worker could be started');
  t.teardown(() => thread.close());
  await thread.ready;
  t.ok(thread.usable, `the thread is up${thread.problem ? `: ${thread.problem}` : ''}`);
  return thread;
}

t.test('the thread answers each append with the leaves the main thread makes, in the order sent', async (t) => {
  const thread = await startedThread(t);
  const appends = [recorded(3, 1), recorded(ROWS_RUN, 4), recorded(1, 4 + ROWS_RUN)];
  const tickets = appends.map((a) => thread.send(packed(a)));
  t.same(tickets, [1, 2, 3], 'tickets count up');
  for (const [i, append] of appends.entries())
    t.equal(thread.take(tickets[i]!), append.map(leafHashBinaryOfEvent).join(''), `append ${i + 1}`);
});

t.test('taking a later ticket drops the answers before it; drain drops the rest', async (t) => {
  const thread = await startedThread(t);
  const [a, b, c, d] = [recorded(2, 1), recorded(2, 3), recorded(2, 5), recorded(2, 7)];
  thread.send(packed(a!));
  const second = thread.send(packed(b!));
  thread.send(packed(c!));
  t.equal(thread.take(second), b!.map(leafHashBinaryOfEvent).join(''), 'the second, not the first');
  thread.drain();
  const fourth = thread.send(packed(d!));
  t.equal(thread.take(fourth), d!.map(leafHashBinaryOfEvent).join(''), 'after a drain, the next answer is the next');
});

t.test('an append the thread cannot hash is answered with nothing, and the thread goes on', async (t) => {
  const thread = await startedThread(t);
  const broken = packed(recorded(2, 1));
  broken[broken.length - 2] = '{"not json'; // the second event's data
  const bad = thread.send(broken);
  t.equal(thread.take(bad), undefined);
  const good = recorded(2, 3);
  t.equal(thread.take(thread.send(packed(good))), good.map(leafHashBinaryOfEvent).join(''));
  t.ok(thread.usable);
});

t.test('a closed thread answers nothing at once: the seal never waits for a thread that is gone', async (t) => {
  const thread = await startedThread(t);
  const ticket = thread.send(packed(recorded(50, 1)));
  await thread.close();
  t.equal(thread.take(ticket), undefined);
  t.notOk(thread.usable);
  t.match(thread.problem, /closed/);
});

t.test('leaves made from the rows match those made from the events as appended', async (t) => {
  const appended = recorded(200, 1);
  t.equal(leafHashesOfStored(packed(appended)), appended.map(leafHashBinaryOfEvent).join(''));
});

/** A ledger's log on a SQLite store that hashes large batches on the thread from the first one. */
async function threadedLog(t: Test) {
  const file = path.join(tempDir(t), 'ledger.sqlite');
  const store = openSqliteStore({ file });
  const signer = signerFromSeed('test.example/log', randomBytes(32));
  const log = await LedgerLog.open(store, { signer, storage: sqliteCheckpoints(file), leafThread: 'always' });
  t.teardown(async () => {
    await log.close();
    await store.close();
  });
  // The first large batch starts the thread, and is hashed here while it loads.
  await store.append('ledger', events(LEAF_THREAD_MIN_BATCH), 'any');
  t.ok(await log.leafThreadReady(), 'the thread is up');
  return { store, log, signer };
}

/** The tree made again from the store, leaf by leaf, must be the log's, and under its latest signed checkpoint. */
async function sameAsStore(t: Test, log: LedgerLog, verifierKey: string, store: ReturnType<typeof openSqliteStore>) {
  const head = await store.headPosition();
  const { tree } = await recomputeTree(store);
  t.equal(log.tree.size, head, 'every stored event is a leaf');
  t.same(log.tree.root(), tree.root(), 'the root the store gives, leaf by leaf');
  const latest = log.latest!;
  const opened = openCheckpoint(latest.note, parseVerifierKey(verifierKey));
  t.equal(opened.treeSize, head, 'the latest checkpoint covers them all');
  t.same(opened.rootHash, tree.root(), 'and signs that root');
  t.same(await log.verifyAgainstStore(), { state: 'verified', treeSize: head });
}

t.test(
  'a group of large appends, one of them rolled back after its first runs were sent, is signed right',
  async (t) => {
    const { store, log, signer } = await threadedLog(t);
    const before = log.leafThreadUse!;
    const first = events(300);
    const clash = events(300);
    clash[100] = { ...clash[100]!, id: first[0]!.id }; // stored by `first`, met after runs of `clash` went out
    const third = events(300);
    const outcomes = await Promise.allSettled([
      store.append('ledger', first, 'any'),
      store.append('ledger', clash, 'any'),
      store.append('ledger', third, 'any'),
    ]);
    t.same(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
      'the clashing batch alone is refused',
    );
    const after = log.leafThreadUse!;
    const runs = after.jobsSent - before.jobsSent;
    t.ok(runs > (2 * 300) / ROWS_RUN, `the batches went to the thread in runs (${runs})`);
    t.equal(after.leavesSigned - before.leavesSigned, 600, 'the leaves of the two stored batches came from the thread');
    t.equal(after.problem, undefined);
    await sameAsStore(t, log, signer.verifierKey, store);
  },
);

t.test('groups after groups: every one signed, each by the root of all before it', async (t) => {
  const { store, log, signer } = await threadedLog(t);
  for (let group = 0; group < 5; group++)
    await Promise.all([300, LEAF_THREAD_MIN_BATCH, 700].map((n) => store.append('ledger', events(n), 'any')));
  t.equal(log.leafThreadUse!.leavesSigned, 5 * (300 + LEAF_THREAD_MIN_BATCH + 700), 'all from the thread');
  await sameAsStore(t, log, signer.verifierKey, store);
  t.equal(log.checkpoints.length, 6, 'one checkpoint a group');
});

t.test('a thread whose answers do not come costs speed, not a signature: the group is hashed here', async (t) => {
  const { store, log, signer } = await threadedLog(t);
  const thread = log['leafThread']!;
  const sentBefore = thread.jobsSent;
  // As a thread that died after its runs were sent: every answer comes back empty.
  thread.take = () => undefined;
  await Promise.all([store.append('ledger', events(400), 'any'), store.append('ledger', events(300), 'any')]);
  t.ok(thread.jobsSent > sentBefore, 'the group was sent in runs');
  t.equal(log.leafThreadUse!.leavesSigned, 0, 'and none of its leaves came from the thread');
  await sameAsStore(t, log, signer.verifierKey, store);
});

t.test('a thread that is gone is not sent to: later groups are hashed here', async (t) => {
  const { store, log, signer } = await threadedLog(t);
  await log['leafThread']!.close();
  const sentBefore = log.leafThreadUse!.jobsSent;
  await Promise.all([store.append('ledger', events(400), 'any'), store.append('ledger', events(300), 'any')]);
  t.equal(log.leafThreadUse!.jobsSent, sentBefore, 'nothing more was sent');
  t.match(log.leafThreadUse!.problem, /closed/);
  await sameAsStore(t, log, signer.verifierKey, store);
});

t.test(
  'a group of one smaller append (as the writer makes them) is hashed and signed here, nothing sent',
  async (t) => {
    const { store, log, signer } = await threadedLog(t);
    const before = log.leafThreadUse!;
    for (let group = 0; group < 6; group++) await store.append('ledger', events(37), 'any');
    const after = log.leafThreadUse!;
    t.equal(after.jobsSent, before.jobsSent, 'the thread was sent nothing');
    t.equal(after.problem, undefined, 'and is still there for large batches');
    t.equal(log.checkpoints.length, 7, 'each group got its checkpoint');
    await sameAsStore(t, log, signer.verifierKey, store);
  },
);

t.test('an append refused at one of its rows leaves no leaf and no checkpoint behind', async (t) => {
  const { store, log, signer } = await threadedLog(t);
  const first = events(20);
  await store.append('ledger', first, 'any');
  const checkpointsBefore = log.checkpoints.length;
  const clash = events(20);
  clash[10] = { ...clash[10]!, id: first[0]!.id }; // met at its insert, in the middle of the append
  const refused = await store.append('ledger', clash, 'any').then(
    () => undefined,
    (error: unknown) => error,
  );
  t.ok(refused, 'the clashing append is refused');
  t.equal(log.checkpoints.length, checkpointsBefore, 'no checkpoint for it');
  t.equal(log.tree.size, await store.headPosition(), 'its leaves left the tree');
  await store.append('ledger', events(20), 'any');
  t.equal(log.checkpoints.length, checkpointsBefore + 1, 'the next group is signed');
  await sameAsStore(t, log, signer.verifierKey, store);
});
