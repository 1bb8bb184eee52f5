/**
 * At a first start the writer's book and the projections catch up from the same position. Their
 * pages are read once (`SharedFoldReads`): the book folds every event, the projections' main
 * thread the marked ones. What each folds must be what it would fold reading on its own; and
 * however far one runs ahead, or if one never reads, the other still gets every page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import t, { type Test } from 'tap';
import type { RecordedEvent, StoredEvent } from '../../events/index.js';
import { bookFromCheckpoint, bookToCheckpoint } from '../../src/ledger/book-checkpoint.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { SharedFoldReads, type SharedReader } from '../../src/read/catch-up.js';
import { Projector } from '../../src/read/projector.js';
import { foldSumsAside, MAIN_MARK, MAIN_READS } from '../../src/read/split-fold.js';
import { lengthOf } from '../../projections/time-index/column.js';
import { SUMS } from '../../src/read/sums.js';
import { seedSynthetic, startLedger } from '../../src/service.js';
import type { EventStore, FoldMark, MarkedFoldPage } from '../../src/store/port.js';
import { openSqliteStore, type SqliteEventStore } from '../../src/store/sqlite.js';

const tempDir = (t: Test) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-shared-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** A store file holding `count` synthetic events (transfers with serials, reversals and all), closed. */
async function historyFile(t: Test, count: number): Promise<string> {
  const file = path.join(tempDir(t), 'ledger.sqlite');
  const ledger = await startLedger(openSqliteStore({ file }));
  await seedSynthetic(ledger.writer, count, 20261202);
  await ledger.close();
  return file;
}

/** Counts what the store reads for folds: pages, rows, and reversals' targets (reads, and ids asked). */
function counted(store: SqliteEventStore) {
  const reads = { filtered: 0, marked: 0, markedRows: 0, targetReads: 0, targetIds: [] as string[] };
  const readForFold = store.readForFold.bind(store);
  const readForFoldMarked = store.readForFoldMarked.bind(store);
  const readByIds = store.readByIds.bind(store);
  store.readByIds = (ids) => {
    reads.targetReads++;
    reads.targetIds.push(...ids);
    return readByIds(ids);
  };
  store.readForFold = (after, limit, filter) => {
    reads.filtered++;
    return readForFold(after, limit, filter);
  };
  store.readForFoldMarked = (after, limit, mark) => {
    const page = readForFoldMarked(after, limit, mark);
    reads.marked++;
    reads.markedRows += page.events.length;
    return page;
  };
  return reads;
}

/** What the log's reversals point at, each once, and how many pages of 1,000 hold a reversal. */
function reversalsOf(store: SqliteEventStore, head: number) {
  const reversals = store.readForFold(0, head).filter((e) => e.type === 'EntryReversed');
  const targets = reversals.map((e) => (e.data as { eventId: string }).eventId);
  const pages = new Set(reversals.map((e) => Math.floor((e.globalPosition - 1) / 1000))).size;
  return { targets, pages };
}

// As a checkpoint holds them (Maps and all), compared deeply: the same values are the same fold.
const sameFold = (t: Test, a: LedgerWriter | Projector, b: LedgerWriter | Projector, message: string) =>
  t.ok(isDeepStrictEqual(exported(a), exported(b)), message);
const exported = (side: LedgerWriter | Projector) =>
  side instanceof LedgerWriter ? bookToCheckpoint(side.book) : side.export();

t.test('the store marks every event of a page as the filtered read would read it', async (t) => {
  const store = openSqliteStore({ file: await historyFile(t, 1500) });
  t.teardown(() => store.close());
  const head = await store.headPosition();
  const every: StoredEvent[] = [];
  const marked: number[] = [];
  for (let after = 0; after < head;) {
    const page = store.readForFoldMarked(after, 400, MAIN_MARK);
    t.same(page.events, store.readForFold(after, 400), `the page after ${after} is the unfiltered page`);
    page.events.forEach((e, i) => page.marked[i] && marked.push(e.globalPosition));
    every.push(...page.events);
    after = page.events.at(-1)!.globalPosition;
  }
  t.equal(every.length, head);
  const filtered = store.readForFold(0, head, MAIN_READS).map((e) => e.globalPosition);
  t.same(marked, filtered, 'the marked are exactly what the main thread reads');
  t.ok(marked.length > 0 && marked.length < head, `${marked.length} of ${head} marked: both kinds are there`);
  t.ok(
    store
      .readForFold(0, head)
      .some((e) => MAIN_MARK.types.includes(e.type) && JSON.stringify(e.data).includes('"serials"')),
    "some events of the worker's types carry serials (and are marked for the main thread)",
  );
});

t.test('a book and projections that catch up together equal those that catch up alone', async (t) => {
  const file = await historyFile(t, 2500);
  const alone = openSqliteStore({ file, readonly: true });
  t.teardown(() => alone.close());
  const soloWriter = new LedgerWriter(alone);
  const soloProjector = new Projector(alone, { bulkCatchUp: 1 });
  await soloWriter.start();
  await soloProjector.start();
  t.teardown(() => Promise.all([soloWriter.close(), soloProjector.close()]));

  const store = openSqliteStore({ file, readonly: true });
  t.teardown(() => store.close());
  const head = await store.headPosition();
  const reversals = reversalsOf(store, head);
  const reads = counted(store);
  const [bookReads, projectionReads] = new SharedFoldReads(
    (after, limit, mark) => store.readForFoldMarked(after, limit, mark),
    0,
    head,
    MAIN_MARK,
    (ids) => store.readByIds(ids),
  ).readers();
  const writer = new LedgerWriter(store);
  const projector = new Projector(store, { bulkCatchUp: 1 });
  await Promise.all([writer.start(bookReads), projector.start(projectionReads)]);
  t.teardown(() => Promise.all([writer.close(), projector.close()]));

  t.ok(projector.sharedCatchUp, 'the projections shared their fold with the sums thread');
  sameFold(t, writer, soloWriter, 'the same book');
  sameFold(t, projector, soloProjector, 'the same projections');
  t.equal(reads.filtered, 0, 'neither read a page of its own');
  t.equal(reads.markedRows, head, `each of the ${head} events read once`);
  t.ok(reversals.targets.length > 0, `the history holds reversals (${reversals.targets.length})`);
  t.same(reads.targetIds, reversals.targets, "every reversal's target read once, for both, in log order");
  t.equal(reads.targetReads, reversals.pages, 'one read of targets per page that holds a reversal');
});

t.test("projections catching up on their own read each page's reversals' targets with the page", async (t) => {
  const file = await historyFile(t, 6000); // the main thread's share on the file then spans pages
  const reference = openSqliteStore({ file, readonly: true });
  t.teardown(() => reference.close());
  // Folded through the subscription, each reversal reading its own target: what a fold must equal.
  const oneByOne = new Projector(reference, { bulkCatchUp: Number.MAX_SAFE_INTEGER });
  await oneByOne.start();
  t.teardown(() => oneByOne.close());
  t.notOk(oneByOne.sharedCatchUp, 'the reference folded event by event');

  // On the file the fold is shared with the sums thread (a rebuild); in memory it is not (no file for a thread).
  const memory = openSqliteStore({ file: ':memory:' });
  t.teardown(() => memory.close());
  const seeded = await startLedger(memory);
  await seedSynthetic(seeded.writer, 6000, 20261202);
  for (const [where, store, split] of [
    ['a store file', openSqliteStore({ file, readonly: true }), true],
    ['a store in memory', memory, false],
  ] as const) {
    if (store !== memory) t.teardown(() => store.close());
    const head = await store.headPosition();
    // The pages this thread reads: the main thread's share of the log on a file, all of it in memory.
    const read = store.readForFold(0, head, split ? MAIN_READS : undefined);
    const targets = read.filter((e) => e.type === 'EntryReversed').map((e) => (e.data as { eventId: string }).eventId);
    const pages = new Set(read.flatMap((e, i) => (e.type === 'EntryReversed' ? [Math.floor(i / 1000)] : []))).size;
    const reads = counted(store);
    const projector = new Projector(store, { bulkCatchUp: 1 });
    await projector.start();
    t.teardown(() => projector.close());
    t.equal(projector.sharedCatchUp, split, `${where}: ${split ? 'shared with' : 'without'} the sums thread`);
    t.ok(targets.length > 0 && pages > 1, `${where}: reversals (${targets.length}) on ${pages} of its pages`);
    t.same(reads.targetIds, targets, `${where}: every reversal's target read once, in log order`);
    t.equal(reads.targetReads, pages, `${where}: one read of targets per page that holds a reversal`);
    // The indexes are laid out otherwise when built in bulk; what they hold, and the rest, is the same.
    t.ok(isDeepStrictEqual(projector.export().state, oneByOne.export().state), `${where}: the same projections`);
    for (const name of SUMS)
      t.same(projector.state.now[name], oneByOne.state.now[name], `${where}: the same ${name} now`);
  }
});

t.test("the sums thread posts its index's columns as their own chunks, not copied into one array", async (t) => {
  const file = await historyFile(t, 3000);
  const store = openSqliteStore({ file, readonly: true });
  t.teardown(() => store.close());
  const head = await store.headPosition();
  const aside = await foldSumsAside({ file, head, index: {} });
  for (const name of SUMS) {
    const posted = aside.indexes[name];
    t.ok(Array.isArray(posted.occurred) && Array.isArray(posted.deltaKey), `${name}: its columns come as parts`);
    t.equal(lengthOf(posted.deltaStart), lengthOf(posted.occurred), `${name}: a delta start for every fact`);
  }
  t.ok(lengthOf(aside.indexes.inventory.occurred) > 0, 'the worker folded inventory facts');
});

t.test('a book restored elsewhere than the shared pages start reads its own, and leaves at once', async (t) => {
  const file = path.join(tempDir(t), 'ledger.sqlite');
  const first = await startLedger(openSqliteStore({ file }));
  await seedSynthetic(first.writer, 600, 7);
  // The book as it stood part way: a checkpoint behind the head.
  const partWay = bookFromCheckpoint(deserialize(serialize(bookToCheckpoint(first.writer.book))) as never);
  await seedSynthetic(first.writer, 600, 8);
  const whole = first.writer;
  await first.close();

  const store = openSqliteStore({ file, readonly: true });
  t.teardown(() => store.close());
  const reads = new SharedFoldReads(
    (after, limit, mark) => store.readForFoldMarked(after, limit, mark),
    0,
    await store.headPosition(),
    MAIN_MARK,
  );
  const [bookReads, projectionReads] = reads.readers();
  const writer = new LedgerWriter(store);
  writer.restore(partWay);
  const starting = writer.start(bookReads);
  // The projections' first page is read now: nothing is kept for a book that will not read it.
  const folding = projectionReads.catchUp(() => undefined);
  t.equal(reads.keeping, 0, 'the book left before the projections read their first page');
  await Promise.all([starting, folding]);
  t.teardown(() => writer.close());
  sameFold(t, writer, whole, 'the book caught up from its own position: the same book as one that folded everything');
});

/** A log of `count` events in memory, every third marked, and its reads counted. */
function fakeLog(count: number) {
  const events = Array.from({ length: count }, (_, i): StoredEvent => ({
    type: 'Fake',
    stream: 'ledger',
    streamRevision: i,
    globalPosition: i + 1,
    occurredAt: '2025-01-01T00:00:00.000Z',
    recordedAt: '2025-01-01T00:00:00.000Z',
    schemaVersion: 1,
    data: null,
  }));
  const log = { pages: 0 };
  const readMarked = (after: number, limit: number, _mark: FoldMark): MarkedFoldPage => {
    log.pages++;
    const page = events.slice(after, after + limit);
    return { events: page, marked: page.map((e) => e.globalPosition % 3 === 0) };
  };
  const shared = (head = count) => new SharedFoldReads(readMarked, 0, head, MAIN_MARK);
  const all = events.map((e) => e.globalPosition);
  return { log, shared, all, marked: all.filter((p) => p % 3 === 0) };
}

const positionsFolded = () => {
  const seen: number[] = [];
  return { seen, fold: (e: StoredEvent) => void seen.push(e.globalPosition) };
};

t.test('one reader far ahead of the other: only a few pages are kept, the other reads the rest itself', async (t) => {
  const { log, shared, all, marked } = fakeLog(25_500); // 26 pages of 1,000
  const reads = shared();
  const [book, projections] = reads.readers();
  const a = positionsFolded();
  const b = positionsFolded();
  t.equal(await book.catchUp(a.fold), 25_500, 'resolves to the last position folded');
  t.equal(log.pages, 26);
  t.equal(reads.keeping, 8, 'eight pages kept for the reader behind, no more');
  t.equal(await projections.catchUp(b.fold), 25_500);
  t.equal(log.pages, 26 + 18, 'the reader behind read the 18 pages not kept');
  t.same(a.seen, all, 'every event, in order');
  t.same(b.seen, marked, 'the marked, in order');
  t.equal(reads.keeping, 0, 'nothing kept once both are done');
});

t.test('side by side, each page is read once; a reader that leaves has nothing more kept for it', async (t) => {
  const { log, shared, all, marked } = fakeLog(9_999);
  const [book, projections] = shared().readers();
  const a = positionsFolded();
  const b = positionsFolded();
  await Promise.all([book.catchUp(a.fold), projections.catchUp(b.fold)]);
  t.equal(log.pages, 10, 'ten pages, each read once');
  t.same(a.seen, all);
  t.same(b.seen, marked);

  const alone = fakeLog(9_999);
  const reads = alone.shared();
  const [only, absent] = reads.readers();
  absent.leave();
  absent.leave(); // idempotent: the one still reading is not counted out
  const c = positionsFolded();
  await only.catchUp(c.fold);
  t.equal(alone.log.pages, 10);
  t.equal(reads.keeping, 0, 'nothing kept for a reader that left');
  t.same(c.seen, alone.all);
});

t.test('a head short of the log: neither folds past it', async (t) => {
  const { shared, all } = fakeLog(3_000);
  const [book, projections] = shared(2_500).readers();
  const a = positionsFolded();
  const b = positionsFolded();
  await Promise.all([book.catchUp(a.fold), projections.catchUp(b.fold)]);
  t.same(a.seen, all.slice(0, 2_500));
  t.same(
    b.seen,
    all.slice(0, 2_500).filter((p) => p % 3 === 0),
  );
});

/** A log of 2,500 events in which every 500th reverses the event before it; its reversals' targets are read by `readTargets`. */
function reversingLog(readTargets: (ids: readonly string[]) => Promise<RecordedEvent[]>) {
  const idOf = (position: number) => `018f0000-0000-7000-8000-${String(position).padStart(12, '0')}`;
  const events = Array.from({ length: 2_500 }, (_, i): StoredEvent => {
    const position = i + 1;
    const reverses = position % 500 === 0;
    return {
      type: reverses ? 'EntryReversed' : 'Fake',
      stream: 'ledger',
      streamRevision: i,
      globalPosition: position,
      occurredAt: '2025-01-01T00:00:00.000Z',
      recordedAt: '2025-01-01T00:00:00.000Z',
      schemaVersion: 1,
      data: reverses ? { eventId: idOf(position - 1), reason: 'entered twice' } : null,
    };
  });
  const readMarked = (after: number, limit: number): MarkedFoldPage => {
    const page = events.slice(after, after + limit);
    return { events: page, marked: page.map(() => true) };
  };
  return { idOf, shared: () => new SharedFoldReads(readMarked, 0, events.length, MAIN_MARK, readTargets) };
}

t.test("a page's reversals' targets are read with it, once, and both readers find them", async (t) => {
  const asked: string[][] = [];
  const { idOf, shared } = reversingLog(async (ids) => {
    asked.push([...ids]);
    return ids.map((id) => ({ id }) as RecordedEvent);
  });
  const [book, projections] = shared().readers();
  const found = { book: [] as (string | undefined)[], projections: [] as (string | undefined)[] };
  const folding = (reader: SharedReader, into: (string | undefined)[]) => (e: StoredEvent) => {
    if (e.type !== 'EntryReversed') return;
    const target = (e.data as { eventId: string }).eventId;
    into.push(reader.target(target)?.id);
    t.equal(reader.target(idOf(1)), undefined, 'an event no reversal of the page points at is not there');
  };
  await Promise.all([
    book.catchUp(folding(book, found.book)),
    projections.catchUp(folding(projections, found.projections)),
  ]);
  const targets = [499, 999, 1499, 1999, 2499].map(idOf);
  t.same(asked, [[targets[0], targets[1]], [targets[2], targets[3]], [targets[4]]], 'one read per page, each id once');
  t.same(found.book, targets, 'the book found every target');
  t.same(found.projections, targets, 'the projections found every target');
  t.equal(book.target(targets[4]!), undefined, 'nothing held once the reader is done');
});

t.test(
  "a failed read of a page's targets fails each reader that comes to the page, before it folds any of it",
  async (t) => {
    const { shared } = reversingLog(() => Promise.reject(new Error('disk I/O error')));
    const [book, projections] = shared().readers();
    const folded = { book: 0, projections: 0 };
    await t.rejects(
      book.catchUp(() => void folded.book++),
      /disk I\/O error/,
    );
    await t.rejects(
      projections.catchUp(() => void folded.projections++),
      /disk I\/O error/,
      'the page kept for the other carries the same failure',
    );
    t.same(folded, { book: 0, projections: 0 }, 'nothing of the page was folded by either');
  },
);

t.test('a first start of a long log reads it once for the book and the projections', async (t) => {
  // Past BULK_CATCH_UP (10,000): the projections catch up in bulk, sharing with the sums thread.
  const file = await historyFile(t, 10_200);
  const store = openSqliteStore({ file });
  const head = await store.headPosition();
  const reversals = reversalsOf(store, head);
  const reads = counted(store);
  const ledger = await startLedger(store);
  t.teardown(() => ledger.close());
  t.ok(ledger.projector.sharedCatchUp);
  t.equal(reads.filtered, 0, 'no page read for one of them alone');
  t.equal(reads.markedRows, head, `each of the ${head} events read once`);
  t.same(reads.targetIds, reversals.targets, "every reversal's target read once, with its page");

  // The same start on a store that cannot mark its pages reads for each on its own, and ends the same.
  const apart = openSqliteStore({ file, readonly: true }) as Partial<SqliteEventStore> & EventStore;
  delete apart.readForFoldMarked;
  const separate = await startLedger(apart);
  t.teardown(() => separate.close());
  sameFold(t, ledger.writer, separate.writer, 'the same book');
  sameFold(t, ledger.projector, separate.projector, 'the same projections');
});
