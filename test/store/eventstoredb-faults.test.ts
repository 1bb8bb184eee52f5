/**
 * The EventStoreDB adapter when the server goes away: a node that is down
 * (connections refused), a node that hangs (calls accepted, never answered)
 * and an append whose answer is lost after the server stored it. Each case
 * checks what a caller is told (a StoreFault naming the fault, within the
 * adapter's bound), that nothing is lost or doubled, and that the same store
 * works again once the node is back, without being reopened.
 */
import t, { type Test } from 'tap';
import type { RecordedEvent } from '../../events/index.js';
import { openEventStoreDbStore, type EventStoreDbStore } from '../../src/store/eventstoredb.js';
import { StoreFault, type FaultName } from '../../src/store/faults.js';
import { startEventStoreDbDouble, type EventStoreDbDouble } from '../eventstoredb-double/server.js';
import { event, events, newStream } from './contract.js';

/** The adapter's bound in these tests, and what "within the bound" allows for a loaded CI machine. */
const TIMEOUT_MS = 1000;
const WITHIN_MS = TIMEOUT_MS + 2000;
const options = { resubscribeDelayMs: { initial: 20, max: 200 }, timeoutMs: TIMEOUT_MS };
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Every promise in the adapter must be handled, also while the server is gone.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
t.teardown(() => void process.off('unhandledRejection', onUnhandled));

async function onDouble(
  t: Test,
  batchAppend = true,
): Promise<{ double: EventStoreDbDouble; store: EventStoreDbStore }> {
  const double = await startEventStoreDbDouble({ batchAppend });
  const store = await openEventStoreDbStore({ connectionString: double.connectionString, ...options });
  t.teardown(async () => {
    double.stall(false);
    await store.close();
    await double.close();
  });
  return { double, store };
}

/** The call's rejection and how long it took; fails the test when it resolves. */
async function failure(t: Test, call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await call();
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  t.fail('expected the call to fail');
  return { error: undefined, ms: Date.now() - started };
}

async function expectFault(t: Test, what: string, call: () => Promise<unknown>, fault: FaultName) {
  const { error, ms } = await failure(t, call);
  t.type(error, StoreFault, `${what}: a StoreFault`);
  t.equal((error as StoreFault).fault, fault, `${what}: ${fault}`);
  t.ok(ms < WITHIN_MS, `${what}: answered within the bound (${ms} ms)`);
  return error as StoreFault;
}

/** How often each ledger event id is stored in the double's log. */
const copiesOf = (double: EventStoreDbDouble, ids: readonly string[]) =>
  ids.map((id) => double.log.records.filter((r) => r.id === id).length);

for (const batchAppend of [true, false]) {
  const path = batchAppend ? 'BatchAppend' : 'Append';

  t.test(
    `${path}: a node that is down refuses every call with store-unavailable; back, the same store works`,
    async (t) => {
      const { double, store } = await onDouble(t, batchAppend);
      const stream = newStream();
      const before = await store.append(stream, events(2), 'no-stream');
      await double.stop();

      const stored = before.events.map((e) => e.id);
      await expectFault(t, 'readStream', () => store.readStream(stream), 'store-unavailable');
      await expectFault(t, 'readAll', () => store.readAll(), 'store-unavailable');
      await expectFault(t, 'readByIds', () => store.readByIds(stored), 'store-unavailable');
      await expectFault(t, 'streamRevision', () => store.streamRevision(stream), 'store-unavailable');
      await expectFault(t, 'headPosition', () => store.headPosition(), 'store-unavailable');
      await expectFault(t, 'integrityProblems', () => store.integrityProblems([stream]), 'store-unavailable');
      const refused = events(1);
      const fault = await expectFault(t, 'append', () => store.append(stream, refused, 1), 'store-unavailable');
      t.match(fault.message, /nothing was written/, 'the caller is told nothing was written');

      await double.start();
      t.same(copiesOf(double, [refused[0]!.id]), [0], 'the refused append was not stored');
      t.same(
        (await store.readStream(stream)).map((e) => e.id),
        stored,
        'reads work again without reopening',
      );
      const after = await store.append(stream, refused, 1);
      t.equal(after.replayed, false, 'the refused append, sent again, is written');
      t.equal(after.streamRevision, 2);
      t.equal(await store.headPosition(), after.lastPosition);
      t.same(copiesOf(double, [...stored, refused[0]!.id]), [1, 1, 1], 'each event stored once');
    },
  );

  t.test(`${path}: an append whose answer is lost is append-outcome-unknown; the retry is a replay`, async (t) => {
    const { double, store } = await onDouble(t, batchAppend);
    const stream = newStream();
    await store.append(stream, events(2), 'no-stream');
    const batch = events(3);

    double.dropNextAppendReply();
    const fault = await expectFault(t, 'append', () => store.append(stream, batch, 1), 'append-outcome-unknown');
    t.match(fault.message, /retry with the same event ids/i, 'the caller is told how to retry safely');
    t.same(
      double.droppedReplies.at(-1)?.ids,
      batch.map((e) => e.id),
      'the server did store it',
    );

    const retry = await store.append(stream, batch, 1);
    t.equal(retry.replayed, true, 'the retry with the same ids is answered as a replay');
    t.same(
      retry.events.map((e) => [e.id, e.streamRevision]),
      batch.map((e, i) => [e.id, 2 + i]),
      'with the positions it was stored at',
    );
    t.same(
      retry.events.map((e) => e.globalPosition),
      batch.map((e) => double.log.records.find((r) => r.id === e.id)!.position),
      'the original global positions',
    );
    t.same(
      copiesOf(
        double,
        batch.map((e) => e.id),
      ),
      [1, 1, 1],
      'nothing doubled',
    );
    const next = await store.append(stream, events(1), 4);
    t.equal(next.replayed, false, 'later appends go on');
  });

  t.test(`${path}: an append the server never answers is append-outcome-unknown within the bound`, async (t) => {
    const { double, store } = await onDouble(t, batchAppend);
    const stream = newStream();
    await store.append(stream, events(1), 'no-stream');
    const sent = event();

    double.stall('appends');
    await expectFault(t, 'append', () => store.append(stream, [sent], 0), 'append-outcome-unknown');
    double.stall(false);

    // The hung call is not stored here; on a real server it might have been, and the retry would replay it.
    const retry = await store.append(stream, [sent], 0);
    t.equal(retry.replayed, false, 'not stored: the retry writes it');
    t.same(copiesOf(double, [sent.id]), [1], 'once');
  });
}

t.test('a node that hangs: reads and appends answer store-unavailable within the bound', async (t) => {
  const { double, store } = await onDouble(t);
  const stream = newStream();
  const stored = await store.append(stream, events(1), 'no-stream');
  double.stall(true);
  const unsent = event();
  // All at once, as requests would come: each is answered by its own deadline.
  await Promise.all([
    expectFault(t, 'readStream', () => store.readStream(stream), 'store-unavailable'),
    expectFault(t, 'readByIds', () => store.readByIds([stored.events[0]!.id]), 'store-unavailable'),
    expectFault(t, 'headPosition', () => store.headPosition(), 'store-unavailable'),
    expectFault(t, 'integrityProblems', () => store.integrityProblems([stream]), 'store-unavailable'),
    // The index is current, so the write goes without a read first: sent, and never answered.
    expectFault(t, 'append', () => store.append(stream, [unsent], 0), 'append-outcome-unknown'),
  ]);
  double.stall(false);

  const after = await store.append(stream, [unsent], 0);
  t.equal(after.replayed, false);
  t.same(copiesOf(double, [unsent.id]), [1], 'written once, after the node answers again');
});

t.test(
  'opening against a node that is down fails promptly with store-unavailable; once it is up, it opens',
  async (t) => {
    const double = await startEventStoreDbDouble();
    t.teardown(() => double.close());
    const connectionString = double.connectionString;
    await double.stop();
    await expectFault(t, 'open', () => openEventStoreDbStore({ connectionString, ...options }), 'store-unavailable');

    await double.start();
    const store = await openEventStoreDbStore({ connectionString, ...options });
    t.teardown(() => store.close());
    const result = await store.append(newStream(), events(1), 'no-stream');
    t.equal(result.replayed, false, 'and appends');

    double.stall(true);
    await expectFault(
      t,
      'open on a hung node',
      () => openEventStoreDbStore({ connectionString, ...options }),
      'store-unavailable',
    );
    double.stall(false);
  },
);

t.test('a subscription waits out an outage and returns to live delivery: nothing lost, nothing twice', async (t) => {
  const { double, store } = await onDouble(t);
  const appended: RecordedEvent[] = [...(await store.append(newStream(), events(5), 'any')).events];
  const received: RecordedEvent[] = [];
  const errors: Error[] = [];
  const subscription = store.subscribeToAll(0, {
    onEvent: (e) => void received.push(e),
    onError: (error) => void errors.push(error),
  });
  t.teardown(() => subscription.close());
  const waitFor = async (n: number) => {
    const deadline = Date.now() + 10_000;
    while (received.length < n && Date.now() < deadline) await delay(10);
    t.equal(received.length, n, `${n} delivered`);
  };
  await waitFor(5);

  await double.stop();
  // Down for many resubscription attempts (backoff 20 → 200 ms).
  await delay(1500);
  await double.start();
  appended.push(...(await store.append(newStream(), events(3), 'any')).events);
  await waitFor(8);
  // Delivered after the outage, so it resubscribed; live, not a catch-up by luck: events appended now arrive too.
  appended.push(...(await store.append(newStream(), events(2), 'any')).events);
  await waitFor(10);
  await delay(100);
  t.same(errors, [], 'an outage is not an error for the subscriber');
  t.same(
    received.map((e) => e.id),
    appended.map((e) => e.id),
    'every event once, in order',
  );
});

t.test('a subscription a hung node never confirms is made again until the node answers', async (t) => {
  const { double, store } = await onDouble(t);
  const appended: RecordedEvent[] = [...(await store.append(newStream(), events(3), 'any')).events];
  double.stall(true);
  const readsBefore = double.calls.get('read') ?? 0;
  const received: RecordedEvent[] = [];
  const subscription = store.subscribeToAll(0, { onEvent: (e) => void received.push(e) });
  t.teardown(() => subscription.close());
  await delay(TIMEOUT_MS * 3);
  // Counted while hung: each unconfirmed attempt is given up after the bound and made again.
  const attempts = (double.calls.get('read') ?? 0) - readsBefore;
  t.ok(attempts >= 2, `it tried again while the node hung (${attempts} attempts)`);
  double.stall(false);
  appended.push(...(await store.append(newStream(), events(2), 'any')).events);
  const deadline = Date.now() + 10_000;
  while (received.length < appended.length && Date.now() < deadline) await delay(10);
  t.same(
    received.map((e) => e.id),
    appended.map((e) => e.id),
    'then delivers everything once, in order, and goes on live',
  );
});

t.test('no promise of the adapter was left unhandled', async (t) => {
  await delay(50);
  t.same(unhandled, []);
});
