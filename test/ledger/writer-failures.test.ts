/**
 * What the writer tells the operator and the client when something fails around a group: each
 * store fault reported with what the writer was doing, a group stored but not signed, a bug met
 * while deciding, and a timed-out submission that must take no one else with it. (Mutation
 * testing found these answers held by no writer test: test/mutation/README.md.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import { onHand } from '../../src/ledger/book.js';
import { LedgerWriter, type WriterOptions } from '../../src/ledger/writer.js';
import { StoreFault } from '../../src/store/faults.js';
import { IdempotencyConflictError, WrongExpectedRevisionError, type EventStore } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { donation, line, reversal, world } from '../support/fixtures.js';
import { faulty } from '../support/faulty-store.js';

const submit = (writer: LedgerWriter, events: IncomingEvent[]) =>
  writer.submit({ proposals: events.map(toProposal), recordedBy: 'test' });

const faultOf = (error: unknown) => (error instanceof StoreFault ? error.fault : String(error));

/** A writer on a store that fails on demand, with every fault it reports recorded. */
async function setUp(t: Test, options: WriterOptions = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-writer-failures-'));
  const real = openSqliteStore({ file: path.join(dir, 'ledger.sqlite') });
  const store = faulty(real);
  const reports: [string, string][] = [];
  const writer = new LedgerWriter(store, {
    onFault: (fault, during) => reports.push([fault.fault, during]),
    ...options,
  });
  await writer.start();
  await submit(writer, world());
  t.teardown(async () => {
    store.heal();
    await writer.close();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, real, writer, reports };
}

t.test('each store fault is reported with what the writer was doing', async (t) => {
  const { store, writer, reports } = await setUp(t);
  store.fail('readByIds', new StoreFault('store-unavailable', 'connection refused'));
  await submit(writer, [donation('us-inl', 'mss', [line('rifle', 1)])]).catch(() => undefined);
  store.heal();
  store.fail('append', new StoreFault('store-full', 'no room left on the device'));
  await submit(writer, [donation('us-inl', 'mss', [line('rifle', 1)])]).catch(() => undefined);
  t.same(reports, [
    ['store-unavailable', 'reading ids before an append'],
    ['store-full', 'appending'],
  ]);
});

t.test('an operator hook that throws: every client of the group is still answered with the fault', async (t) => {
  // A short timeout: a client left waiting would be answered by it, with another fault.
  const { store, writer } = await setUp(t, {
    timeoutMs: 300,
    onFault: () => {
      throw new Error('the log shipper is down');
    },
  });
  store.fail('append', new StoreFault('store-full', 'no room left on the device'));
  const answers = await Promise.all(
    [1, 2, 3].map((n) => submit(writer, [donation('us-inl', 'mss', [line('rifle', n)])]).catch(faultOf)),
  );
  t.same(answers, ['store-full', 'store-full', 'store-full']);
  t.equal(writer.fault?.fault, 'store-full', 'and /ready is told');
});

t.test(
  'an append whose answer is lost after it stored the group: its events reach the book through the feed',
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-writer-failures-'));
    const real = openSqliteStore({ file: path.join(dir, 'ledger.sqlite') });
    let loseAnswer = false;
    // The group is stored, the feed delivers it while the writer still waits, then the answer is lost.
    const lossy = Object.create(real) as EventStore;
    lossy.append = async (stream, events, expected) => {
      const result = await real.append(stream, events, expected);
      if (!loseAnswer) return result;
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new StoreFault('store-unavailable', 'the connection dropped before the answer');
    };
    // Every id the writer looks up: a reversal's target is read to decide it, and not again to fold it.
    const idsRead: string[] = [];
    lossy.readByIds = (ids) => {
      idsRead.push(...ids);
      return real.readByIds(ids);
    };
    const writer = new LedgerWriter(lossy);
    t.teardown(async () => {
      await writer.close();
      await real.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await writer.start();
    await submit(writer, world());
    const gift = donation('us-inl', 'mss', [line('rifle', 5)]);
    await submit(writer, [gift]);
    loseAnswer = true;
    idsRead.length = 0;
    const error = await submit(writer, [donation('us-inl', 'mss', [line('rifle', 2)]), reversal(gift.id!)]).catch(
      (e: unknown) => e,
    );
    t.equal(faultOf(error), 'store-unavailable', 'the client is told the store failed');
    t.equal(
      idsRead.filter((id) => id === gift.id).length,
      1,
      "the target was read once, to decide the reversal: the feed's copy of the group is folded from what the group read",
    );
    const replay = new LedgerWriter(real);
    await replay.start();
    t.teardown(() => replay.close());
    t.equal(writer.book.position, replay.book.position, 'the book reached what the store holds');
    t.equal(onHand(writer.book, 'mss', 'rifle'), 2, 'the second gift counted, the first reversed');
    t.equal(onHand(replay.book, 'mss', 'rifle'), 2);
    t.ok(writer.book.reversed.has(gift.id!), 'the reversal folded against its target');
  },
);

t.test('a group stored but not signed: the client is told it may retry, and the retry is a replay', async (t) => {
  const locked = new Error('the signing key is locked');
  let signing: Error | undefined;
  const { real, writer, reports } = await setUp(t, {
    afterAppend: async () => {
      if (signing) throw signing;
    },
  });
  signing = locked;
  const gift = donation('us-inl', 'mss', [line('rifle', 6)]);
  const error = await submit(writer, [gift]).catch((e: unknown) => e);
  t.ok(error instanceof StoreFault, 'answered with a store fault');
  const fault = error as StoreFault;
  t.equal(fault.fault, 'append-outcome-unknown');
  t.equal(
    fault.message,
    'the events were stored but their checkpoint could not be signed (the signing key is locked): retry with the same event ids',
  );
  t.equal(fault.cause, locked, 'the signing error is kept as the cause');
  t.same(reports, [['append-outcome-unknown', 'signing']], 'reported to the operator');
  t.equal(writer.fault?.fault, 'append-outcome-unknown', 'and remembered for /ready');
  t.ok(
    (await real.readAll()).some((e) => e.id === gift.id),
    'the events are stored',
  );
  t.equal(onHand(writer.book, 'mss', 'rifle'), 6, 'and the book holds them');
  signing = undefined;
  const retry = await submit(writer, [gift]);
  t.equal(retry.replayed, true, 'the retry finds them stored');
});

t.test('a signer that fails with a store fault: that fault is the answer', async (t) => {
  const full = new StoreFault('store-full', 'no room for the checkpoint');
  let failing = false;
  const { writer, reports } = await setUp(t, {
    afterAppend: () => (failing ? Promise.reject(full) : Promise.resolve()),
  });
  failing = true;
  const error = await submit(writer, [donation('us-inl', 'mss', [line('rifle', 1)])]).catch((e: unknown) => e);
  t.equal(error, full);
  t.same(reports, [['store-full', 'signing']]);
  failing = false;
  const next = await submit(writer, [donation('us-inl', 'mss', [line('rifle', 2)])]);
  t.equal(next.replayed, false, 'a group signed again is confirmed');
});

t.test('a bug met while deciding answers the whole group with it, and keeps none of it', async (t) => {
  const bug = new Error('the clock is broken');
  let clockCalls = 0;
  let breakAt = Infinity;
  const { store, real, writer } = await setUp(t, {
    clock: () => {
      if (++clockCalls === breakAt) throw bug;
      return new Date();
    },
  });
  // While a first batch is appended, two more queue up and are decided as one group; the clock
  // fails for the second of them, after the first was folded in tentatively.
  store.hold('append');
  const busy = submit(writer, [donation('us-inl', 'mss', [line('rifle', 1)])]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  breakAt = clockCalls + 2;
  const group = [
    submit(writer, [donation('us-inl', 'mss', [line('rifle', 10)])]).catch((e: unknown) => e),
    submit(writer, [donation('us-inl', 'mss', [line('apc', 2)])]).catch((e: unknown) => e),
  ];
  store.release('append');
  await busy;
  t.same(await Promise.all(group), [bug, bug], 'both told of the bug');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 1, 'the first of the group is not kept in the book');
  t.equal(onHand(writer.book, 'mss', 'apc'), 0);
  const head = await real.headPosition();
  t.equal(writer.book.position, head, 'nothing of the group was stored');
  const after = await submit(writer, [donation('us-inl', 'mss', [line('rifle', 3)])]);
  t.equal(after.replayed, false, 'the writer goes on');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 4);
});

t.test('a queued submission that times out takes nothing else out of the queue', async (t) => {
  const { store, real, writer } = await setUp(t, { timeoutMs: 3000 });
  store.hold('readByIds');
  const stuck = submit(writer, [donation('us-inl', 'mss', [line('rifle', 1)])]).catch((e: unknown) => e);
  const early = submit(writer, [donation('us-inl', 'mss', [line('rifle', 2)])]).catch((e: unknown) => e);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const late = donation('us-inl', 'mss', [line('rifle', 4)]);
  const lateAnswer = submit(writer, [late]);
  t.equal(faultOf(await early), 'store-unavailable', 'the early one timed out while queued');
  t.equal(faultOf(await stuck), 'store-unavailable');
  store.release('readByIds');
  const recorded = await lateAnswer;
  t.equal(recorded.events[0]?.id, late.id, 'the one queued after it is still recorded');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 4);
  t.equal(writer.book.position, await real.headPosition());
});

t.test(
  'a fault hook that throws: the submission in hand and the one queued behind are both answered with the fault',
  async (t) => {
    // A short timeout: a client left waiting would be answered by it, with another fault.
    const { store, writer } = await setUp(t, {
      timeoutMs: 300,
      onFault: () => {
        throw new Error('the log hook failed');
      },
    });
    store.hold('readByIds');
    const inHand = submit(writer, [donation('us-inl', 'mss', [line('rifle', 1)])]).catch(faultOf);
    const queued = submit(writer, [donation('us-inl', 'mss', [line('rifle', 2)])]).catch(faultOf);
    store.fail('readByIds', new StoreFault('store-unavailable', 'connection refused'));
    store.release('readByIds');
    t.equal(await inHand, 'store-unavailable', 'the one in hand: nothing was written');
    t.equal(await queued, 'store-unavailable', 'the one queued behind it');
    store.heal();
    const later = await submit(writer, [donation('us-inl', 'mss', [line('rifle', 3)])]);
    t.equal(later.replayed, false, 'the writer goes on');
    t.equal(onHand(writer.book, 'mss', 'rifle'), 3);
  },
);

t.test('a writer that keeps losing the race gives up after 20 retries and says so', async (t) => {
  const { store, writer } = await setUp(t, { timeoutMs: 60_000 });
  const before = store.calls.append;
  // Every append is refused as if another writer had just appended; the book is already there.
  const raced = new WrongExpectedRevisionError('ledger', writer.book.revision!, writer.book.revision!);
  store.fail('append', raced);
  const error = await submit(writer, [donation('us-inl', 'mss', [line('rifle', 1)])]).catch((e: unknown) => e);
  t.equal(error, raced, 'answered with the conflict');
  t.equal(store.calls.append - before, 21, 'after the first append and 20 retries');
  const conflict = new IdempotencyConflictError('00000000-0000-4000-8000-00000000ffff');
  store.fail('append', conflict);
  const again = await submit(writer, [donation('us-inl', 'mss', [line('rifle', 1)])]).catch((e: unknown) => e);
  t.equal(again, conflict, 'the same bound for a retry raced on another replica');
  t.equal(store.calls.append - before, 42);
});
