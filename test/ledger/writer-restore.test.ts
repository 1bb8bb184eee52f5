/**
 * A book restored from its checkpoint is built when first needed (LedgerWriter.restoreLater): a
 * restart answers reads before it, and main.ts builds it just after the listen. Whenever it is
 * built, the writer must decide and fold against the restored book, never an empty one: a write
 * before the build, another writer's events at start, a build that fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import { bookFromCheckpoint, bookToCheckpoint } from '../../src/ledger/book-checkpoint.js';
import { onHand, type Book } from '../../src/ledger/book.js';
import { RejectionError } from '../../src/ledger/rules.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { donation, line, transfer, world } from '../support/fixtures.js';

const submit = (writer: LedgerWriter, events: IncomingEvent[]) =>
  writer.submit({ proposals: events.map(toProposal), recordedBy: 'test' });

/** A store holding the world and 10 rifles given to the mission, and the book a writer saved of it. */
async function savedBook(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-writer-restore-'));
  const store = openSqliteStore({ file: path.join(dir, 'ledger.sqlite') });
  const first = new LedgerWriter(store);
  await first.start();
  await submit(first, [...world(), donation('us-inl', 'mss', [line('rifle', 10)])]);
  await first.close();
  const saved = bookToCheckpoint(first.book);
  const closing: LedgerWriter[] = [];
  t.teardown(async () => {
    for (const writer of closing) await writer.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** A writer on the store that restores the saved book lazily, counting its builds. */
  const restoring = (build: () => Book = () => bookFromCheckpoint(saved)) => {
    const writer = new LedgerWriter(store);
    closing.push(writer);
    const builds = { count: 0 };
    writer.restoreLater(first.book.position, () => {
      builds.count++;
      return build();
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

  // Against the restored book: 10 rifles on hand, so 11 are refused and 4 are moved.
  await t.rejects(submit(writer, [transfer('mss', 'hnp', [line('rifle', 11)])]), RejectionError);
  t.equal(builds.count, 1, 'the first write built it');
  await submit(writer, [transfer('mss', 'hnp', [line('rifle', 4)])]);
  t.equal(onHand(writer.book, 'mss', 'rifle'), 6);
  writer.prepareForWrites();
  t.equal(builds.count, 1, 'and it is built once');
});

t.test('prepareForWrites builds it before any write, and a write then decides against it', async (t) => {
  const { restoring } = await savedBook(t);
  const { writer, builds } = restoring();
  await writer.start();
  writer.prepareForWrites();
  t.equal(builds.count, 1);
  t.equal(onHand(writer.book, 'mss', 'rifle'), 10);
  await t.rejects(submit(writer, [transfer('mss', 'hnp', [line('rifle', 11)])]), RejectionError);
  t.equal(builds.count, 1);
});

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
  t.equal(onHand(writer.book, 'mss', 'rifle'), 15, 'onto the restored 10');
});

t.test('a build that fails leaves no empty book to decide against: each use fails the same way', async (t) => {
  const { position, restoring } = await savedBook(t);
  const { writer, builds } = restoring(() => {
    throw new Error('a damaged book');
  });
  await writer.start();
  t.throws(() => writer.prepareForWrites(), /a damaged book/);
  t.throws(() => writer.book, /a damaged book/, 'again, not an empty book');
  t.equal(builds.count, 2);
  t.equal(writer.position, position, 'still where the checkpoint stands');
});
