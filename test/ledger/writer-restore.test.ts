/**
 * A book restored from its checkpoint is built when first needed (LedgerWriter.restoreLater): a
 * restart answers reads before it, and serve.ts builds it just after the listen. Whenever it is
 * built, the writer must decide and fold against the restored book, never an empty one: a write
 * before the build, another writer's events at start, a build that fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import { BookBuilder, bookToCheckpoint } from '../../src/ledger/book-checkpoint.js';
import { onHand } from '../../src/ledger/book.js';
import { RejectionError } from '../../src/ledger/rules.js';
import { LedgerWriter, type BookInParts } from '../../src/ledger/writer.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { dispatch, donation, line, transfer, world } from '../support/fixtures.js';

const submit = (writer: LedgerWriter, events: IncomingEvent[]) =>
  writer.submit({ proposals: events.map(toProposal), recordedBy: 'test' });

/** A store holding the world, 8 rifles on the mission's hands (2 shipped on), 2 serialled APCs, and the book a writer saved of it. */
async function savedBook(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-writer-restore-'));
  const store = openSqliteStore({ file: path.join(dir, 'ledger.sqlite') });
  const first = new LedgerWriter(store);
  await first.start();
  await submit(first, [
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 10), line('apc', 2, ['APC-1', 'APC-2'])]),
    dispatch('shp-1', 'mss', 'hnp', [line('rifle', 1)]),
    dispatch('shp-2', 'mss', 'hnp', [line('rifle', 1)]),
  ]);
  await first.close();
  const saved = bookToCheckpoint(first.book);
  const closing: LedgerWriter[] = [];
  t.teardown(async () => {
    for (const writer of closing) await writer.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** A writer on the store that restores the saved book lazily, counting the steps and finishes of its build. */
  const restoring = (builder: BookInParts = new BookBuilder(saved)) => {
    const writer = new LedgerWriter(store);
    closing.push(writer);
    const builds = { count: 0, steps: 0 };
    writer.restoreLater(first.book.position, {
      step: (count) => {
        builds.steps++;
        return builder.step(count);
      },
      finish: () => {
        builds.count++;
        return builder.finish();
      },
    });
    return { writer, builds };
  };
  return { store, position: first.book.position, restoring };
}

t.test('a restored book is not built by the start, and is built once, by the first write', async (t) => {
  const { position, restoring } = await savedBook(t);
  const { writer, builds } = restoring();
  t.equal(writer.position, position, 'where it stands is known without building it');
  await writer.start();
  t.equal(builds.count, 0, 'a start with nothing to fold does not build it');

  // Against the restored book: 8 rifles on hand, so 9 are refused and 4 are moved.
  await t.rejects(submit(writer, [transfer('mss', 'hnp', [line('rifle', 9)])]), RejectionError);
  t.equal(builds.count, 1, 'the first write built it');
  await submit(writer, [transfer('mss', 'hnp', [line('rifle', 4)])]);
  t.equal(onHand(writer.book, 'mss', 'rifle'), 4);
  t.equal(writer.book.shipments.size, 2, 'with its shipments');
  t.equal(writer.book.serials.get('APC-2'), 'mss', 'and serials');
  writer.prepareForWrites();
  t.equal(builds.count, 1, 'and it is built once');
});

t.test(
  'prepareForWrites builds it a part at a time before any write, and a write then decides against it',
  async (t) => {
    const { restoring } = await savedBook(t);
    const { writer, builds } = restoring();
    await writer.start();
    let parts = 0;
    while (writer.prepareForWrites(1)) parts++;
    t.ok(parts >= 1, `built in ${parts + 1} parts of one entry`);
    t.equal(builds.count, 1, 'then finished');
    t.notOk(writer.prepareForWrites(1), 'nothing left');
    t.equal(onHand(writer.book, 'mss', 'rifle'), 8);
    t.same([...writer.book.shipments.keys()], ['shp-1', 'shp-2']);
    t.same(
      [...writer.book.serials],
      [
        ['APC-1', 'mss'],
        ['APC-2', 'mss'],
      ],
    );
    await t.rejects(submit(writer, [transfer('mss', 'hnp', [line('rifle', 9)])]), RejectionError);
    t.equal(builds.count, 1);
  },
);

t.test("another writer's events at start are folded into the restored book, not an empty one", async (t) => {
  const { store, position, restoring } = await savedBook(t);
  const other = new LedgerWriter(store);
  await other.start();
  await submit(other, [donation('us-inl', 'mss', [line('rifle', 5)])]);
  await other.close();
  const { writer, builds } = restoring();
  await writer.start();
  t.equal(builds.count, 1, 'the tail needed the book');
  t.ok(writer.position > position, 'and was folded');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 13, 'onto the restored 8');
});

t.test('a build that fails leaves no empty book to decide against: each use fails the same way', async (t) => {
  const { position, restoring } = await savedBook(t);
  const { writer, builds } = restoring({
    step: () => {
      throw new Error('a damaged book');
    },
    finish: () => {
      throw new Error('a damaged book');
    },
  });
  await writer.start();
  t.throws(() => writer.prepareForWrites(100), /a damaged book/);
  t.throws(() => writer.book, /a damaged book/, 'again, not an empty book');
  t.throws(() => writer.book, /a damaged book/, 'and again');
  t.equal(builds.count, 2);
  t.equal(writer.position, position, 'still where the checkpoint stands');
});
