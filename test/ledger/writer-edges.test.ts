/**
 * The writer at its edges: a group that hands the event loop back at the pace it is given, the
 * first revision of an empty ledger, a batch repeating part of another in the same group, another
 * writer's events that arrived while an append was on its way, a submission that times out in the
 * middle of its group, and closing. (Mutation testing found these held by no writer test:
 * test/mutation/README.md.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import { onHand } from '../../src/ledger/book.js';
import { RejectionError } from '../../src/ledger/rules.js';
import { LedgerWriter, type WriterOptions } from '../../src/ledger/writer.js';
import { StoreFault } from '../../src/store/faults.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { donation, line, party, world } from '../support/fixtures.js';
import { faulty } from '../support/faulty-store.js';

const submit = (writer: LedgerWriter, events: IncomingEvent[], expectedRevision?: number) =>
  writer.submit({
    proposals: events.map(toProposal),
    recordedBy: 'test',
    ...(expectedRevision === undefined ? {} : { expectedRevision }),
  });

const faultOf = (error: unknown) => (error instanceof StoreFault ? error.fault : String(error));
const rifles = (n: number) => donation('us-inl', 'mss', [line('rifle', n)]);

async function setUp(t: Test, options: WriterOptions = {}, { seeded = true } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-writer-edges-'));
  const real = openSqliteStore({ file: path.join(dir, 'ledger.sqlite') });
  const store = faulty(real);
  const writer = new LedgerWriter(store, options);
  await writer.start();
  if (seeded) await submit(writer, world());
  const closing: (() => Promise<void>)[] = [() => writer.close()];
  t.teardown(async () => {
    store.heal();
    for (const close of closing.reverse()) await close();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Another writer on the same store, closed with the test. */
  const rival = async () => {
    const other = new LedgerWriter(real);
    closing.push(() => other.close());
    await other.start();
    return other;
  };
  return { store, real, writer, rival };
}

t.test('a group hands the event loop back after every `yieldEveryEvents` events it decides', async (t) => {
  // The clock is read once per batch decided: each reading notes how many turns the loop has made.
  let turns = 0;
  let spinning = true;
  const spin = () => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  const turnAtBatch: number[] = [];
  const { store, writer } = await setUp(t, {
    yieldEveryEvents: 2,
    clock: () => {
      turnAtBatch.push(turns);
      return new Date();
    },
  });
  t.teardown(() => {
    spinning = false;
  });
  store.hold('append');
  const busy = submit(writer, [rifles(1)]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const answers = [1, 2, 3, 4, 5].map((n) => submit(writer, [rifles(n)]));
  turnAtBatch.length = 0;
  spin();
  store.release('append');
  await busy;
  await Promise.all(answers);
  t.equal(turnAtBatch.length, 5, 'one group of five batches of one event');
  const handedBack = turnAtBatch.slice(1).map((turn, i) => turn > turnAtBatch[i]!);
  t.same(handedBack, [false, true, false, true], 'the loop turned after every second event, and only then');
});

t.test('an empty ledger is at revision -1: a batch expecting -1 lands, one expecting 0 is refused', async (t) => {
  const { writer } = await setUp(t, {}, { seeded: false });
  const refused = await submit(writer, [party('us-inl', 'donor')], 0).catch((e: unknown) => e);
  t.ok(refused instanceof RejectionError, 'expecting revision 0 of an empty ledger is refused');
  t.match((refused as RejectionError).rejection, {
    rule: 'expected-revision-mismatch',
    context: { expectedRevision: 0, currentRevision: -1 },
  });
  const first = await submit(writer, [party('us-inl', 'donor')], -1);
  t.equal(first.events[0]?.streamRevision, 0, 'the first event is revision 0');
});

t.test('a batch repeating one id of another batch in the same group waits for that one to land', async (t) => {
  const { store, real, writer } = await setUp(t);
  const shared = rifles(5);
  const fresh = rifles(7);
  store.hold('append');
  const busy = submit(writer, [rifles(1)]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const first = submit(writer, [shared]);
  const second = submit(writer, [shared, fresh]).catch((e: unknown) => e);
  store.release('append');
  await busy;
  t.equal((await first).replayed, false, 'the first batch lands');
  const refused = await second;
  t.ok(refused instanceof RejectionError, `the second is refused by a rule: ${String(refused)}`);
  t.match((refused as RejectionError).rejection, {
    rule: 'idempotency-conflict',
    detail: `the batch mixes recorded and new event ids; event ${fresh.id} is new`,
  });
  t.equal((await real.readAll()).filter((e) => e.id === shared.id).length, 1, 'the shared event is stored once');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 6);
});

t.test('another writer’s events that arrived during a refused append: decided again at once', async (t) => {
  const { store, writer, rival } = await setUp(t, { feedWaitMs: 3000 });
  const other = await rival();
  store.hold('append');
  const mine = submit(writer, [rifles(4)]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await submit(other, [rifles(3)]); // lands first; this writer's feed brings it while its own append waits
  await new Promise((resolve) => setTimeout(resolve, 50));
  // The book has what it needs: reading the stream, or waiting for the feed, would fail or hang.
  store.fail('readStream', new StoreFault('store-unavailable', 'connection refused'));
  store.release('append');
  t.equal((await mine).replayed, false, 'recorded on the second attempt');
  t.equal(store.calls.readStream, 0, 'without reading the stream');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 7);
});

t.test('a submission that times out while its group is decided is not written', async (t) => {
  // The first batch's decision is slow (the clock spins past its deadline); the group then hands
  // the loop back, the deadline passes, and the group must be decided again without it.
  let slowUntil = 0;
  const { store, real, writer } = await setUp(t, {
    timeoutMs: 1000,
    yieldEveryEvents: 1,
    clock: () => {
      while (Date.now() < slowUntil);
      slowUntil = 0;
      return new Date();
    },
  });
  store.hold('append');
  const busy = submit(writer, [rifles(1)]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const late = rifles(2);
  const lateAnswer = submit(writer, [late]).catch((e: unknown) => e);
  const deadline = Date.now() + 1000;
  await new Promise((resolve) => setTimeout(resolve, 400));
  // Several batches behind it, each followed by a turn of the loop: the deadline's timer runs in one.
  const kept = [rifles(3), rifles(4), rifles(5)];
  const keptAnswers = kept.map((event) => submit(writer, [event]));
  slowUntil = deadline + 50;
  store.release('append');
  await busy;
  t.equal(faultOf(await lateAnswer), 'store-unavailable', 'the late one is told nothing was written');
  t.same(
    (await Promise.all(keptAnswers)).map((a) => a.replayed),
    [false, false, false],
    'the others land',
  );
  const ids = new Set((await real.readAll()).map((e) => e.id));
  t.notOk(ids.has(late.id!), 'and nothing of the late one was written');
  t.ok(kept.every((event) => ids.has(event.id!)));
  t.equal(onHand(writer.book, 'mss', 'rifle'), 13, 'nor kept in the book');
});

t.test('closing waits for the group in hand, then follows the store no more', async (t) => {
  const { writer, rival } = await setUp(t);
  let answered = false;
  const inHand = submit(writer, [rifles(2)]).then(() => {
    answered = true;
  });
  await writer.close();
  t.ok(answered, 'the submission in hand was answered before close returned');
  await inHand;
  const other = await rival();
  await submit(other, [rifles(5)]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(onHand(writer.book, 'mss', 'rifle'), 2, 'what others write after closing is not followed');
});

t.test('requests that arrive while a group is committed join the next group: one append for both', async (t) => {
  const appended: number[] = [];
  let arriving: (() => void) | undefined;
  const { store, writer } = await setUp(t, {
    afterAppend: async (events) => {
      appended.push(events.length);
      // A request read from a socket while this group was being committed.
      if (arriving) setImmediate(arriving);
      arriving = undefined;
    },
  });
  store.hold('append');
  const busy = submit(writer, [rifles(1)]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const queued = submit(writer, [rifles(2)]);
  let arrived: Promise<unknown> | undefined;
  arriving = () => {
    arrived = submit(writer, [rifles(3)]);
  };
  appended.length = 0;
  store.release('append');
  await Promise.all([busy, queued]);
  await arrived;
  t.same(appended, [1, 2], 'the queued request and the one that arrived meanwhile share one append');
  t.equal(onHand(writer.book, 'mss', 'rifle'), 6);
});
