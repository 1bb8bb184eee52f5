/**
 * The writer when the store fails under it: every submission is answered
 * within the bound, with a fault that says whether anything can have been
 * written; nothing hangs, nothing crashes, and it goes on once the store is back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import { onHand } from '../../src/ledger/book.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { StoreFault } from '../../src/store/faults.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { donation, line, world } from '../support/fixtures.js';
import { faulty } from '../support/faulty-store.js';

const submit = (writer: LedgerWriter, events: IncomingEvent[]) =>
  writer.submit({ proposals: events.map(toProposal), recordedBy: 'test' });

async function setUp(t: Test, timeoutMs = 300) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-writer-faults-'));
  const real = openSqliteStore({ file: path.join(dir, 'ledger.sqlite') });
  const store = faulty(real);
  const writer = new LedgerWriter(store, { timeoutMs, feedWaitMs: 100 });
  await writer.start();
  await submit(writer, world());
  t.teardown(async () => {
    store.heal();
    await writer.close();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, real, writer, dir };
}

const faultOf = (error: unknown) => (error instanceof StoreFault ? error.fault : String(error));

t.test('a full disk is answered as store-full, remembered, and forgotten after the next append', async (t) => {
  const { store, real, writer } = await setUp(t);
  const head = await real.headPosition();
  store.fail('append', new StoreFault('store-full', 'no room left on the device'));
  const error = await submit(writer, [donation('us-inl', 'mss', [line('rifle', 10)])]).catch((e: unknown) => e);
  t.equal(faultOf(error), 'store-full');
  t.equal(writer.fault?.fault, 'store-full', 'the fault is remembered for /ready');
  t.equal(await real.headPosition(), head, 'nothing was stored');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 0, 'the book forgot the refused group');
  store.heal();
  await submit(writer, [donation('us-inl', 'mss', [line('rifle', 10)])]);
  t.equal(writer.fault, undefined, 'a successful append clears it');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 10);
});

t.test('a failing id lookup before the append answers the group and the writer goes on', async (t) => {
  const { store, writer } = await setUp(t);
  store.fail('readByIds', new StoreFault('store-unavailable', 'connection refused'));
  const gift = donation('us-inl', 'mss', [line('rifle', 5)]);
  const error = await submit(writer, [gift]).catch((e: unknown) => e);
  t.equal(faultOf(error), 'store-unavailable');
  store.heal();
  const again = await submit(writer, [gift]);
  t.equal(again.replayed, false, 'recorded once the store answers');
});

t.test('an append that never answers is reported as of unknown outcome; the retry is a replay', async (t) => {
  const { store, real, writer } = await setUp(t);
  store.hold('append');
  const gift = donation('us-inl', 'mss', [line('rifle', 7)]);
  const started = Date.now();
  const error = await submit(writer, [gift]).catch((e: unknown) => e);
  t.equal(faultOf(error), 'append-outcome-unknown');
  t.ok(Date.now() - started < 2000, 'answered within the bound, not left waiting');
  t.match((error as Error).message, /retry with the same event ids/);
  store.release('append'); // the held append now lands
  await new Promise((resolve) => setTimeout(resolve, 50));
  const retry = await submit(writer, [gift]);
  t.equal(retry.replayed, true, 'the retry finds it stored');
  t.equal((await real.readAll()).filter((e) => e.id === gift.id).length, 1, 'stored once');
});

t.test('a submission that times out before its append is withdrawn: nothing is written', async (t) => {
  const { store, real, writer } = await setUp(t);
  store.hold('readByIds');
  const first = donation('us-inl', 'mss', [line('rifle', 1)]);
  const second = donation('us-inl', 'mss', [line('rifle', 2)]);
  const answers = await Promise.all([
    submit(writer, [first]).catch((e: unknown) => e),
    submit(writer, [second]).catch((e: unknown) => e),
  ]);
  t.same(answers.map(faultOf), ['store-unavailable', 'store-unavailable'], 'both answered');
  t.match((answers[0] as Error).message, /nothing was written/);
  store.release('readByIds');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const ids = new Set((await real.readAll()).map((e) => e.id));
  t.notOk(ids.has(first.id!), 'the one being decided was not appended');
  t.notOk(ids.has(second.id!), 'the queued one was not appended');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 0, 'and the book holds neither');
  const later = await submit(writer, [first]);
  t.equal(later.replayed, false, 'the client can send it again');
});

t.test('a writer whose feed stalls reads what another writer appended instead of waiting forever', async (t) => {
  const { dir, writer } = await setUp(t, 5000);
  // A second writer on the same file (another process, as far as this one's feed knows).
  const other = openSqliteStore({ file: path.join(dir, 'ledger.sqlite') });
  const otherWriter = new LedgerWriter(other);
  await otherWriter.start();
  await submit(otherWriter, [donation('us-inl', 'mss', [line('rifle', 3)])]);
  const mine = await submit(writer, [donation('us-inl', 'mss', [line('rifle', 4)])]);
  t.equal(mine.replayed, false, 'recorded after catching up');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 7, 'the book holds both');
  await otherWriter.close();
  await other.close();
});
