/**
 * The EventStoreDB adapter: the store contract on the protocol double (both
 * append paths of the real client) and, when EVENTSTORE_CONNECTION_STRING is
 * set, on a real server; then what only this engine has: resubscription after
 * dropped connections, replicas racing, retention policy checks, and the
 * server's error shapes.
 */
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { AccessDeniedError, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import type { RecordedEvent } from '../../events/index.js';
import { openEventStoreDbStore, type EventStoreDbStore } from '../../src/store/eventstoredb.js';
import { IdempotencyConflictError, WrongExpectedRevisionError } from '../../src/store/port.js';
import { startEventStoreDbDouble, type DoubleOptions, type EventStoreDbDouble } from '../eventstoredb-double/server.js';
import { event, events, newStream, storeContract, type StoreHarness } from './contract.js';

const fast = { resubscribeDelayMs: { initial: 20, max: 200 } };
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function onDouble(
  options: DoubleOptions,
): Promise<StoreHarness & { store: EventStoreDbStore; double: EventStoreDbDouble }> {
  const double = await startEventStoreDbDouble(options);
  let store = await openEventStoreDbStore({ connectionString: double.connectionString, ...fast });
  const harness: StoreHarness & { store: EventStoreDbStore; double: EventStoreDbDouble } = {
    double,
    store,
    reopen: async () => {
      await store.close();
      store = await openEventStoreDbStore({ connectionString: double.connectionString, ...fast });
      harness.store = store;
      return store;
    },
    cleanup: async () => {
      await store.close();
      await double.close();
    },
  };
  return harness;
}

storeContract(t, 'eventstoredb double, BatchAppend', () => onDouble({ batchAppend: true }));
storeContract(t, 'eventstoredb double, Append', () => onDouble({ batchAppend: false }));

const real = process.env.EVENTSTORE_CONNECTION_STRING;
if (real) {
  storeContract(
    t,
    'eventstoredb server',
    async () => {
      let store = await openEventStoreDbStore({ connectionString: real, ...fast });
      return {
        store,
        reopen: async () => {
          await store.close();
          store = await openEventStoreDbStore({ connectionString: real, ...fast });
          return store;
        },
        // A shared server keeps its data: streams are fresh per test instead.
        cleanup: () => store.close(),
      };
    },
    { startsEmpty: false },
  );
}

t.test('the client takes BatchAppend when advertised, Append otherwise', async (t) => {
  for (const batchAppend of [true, false]) {
    const h = await onDouble({ batchAppend });
    await h.store.append(newStream(), events(2), 'no-stream');
    await h.cleanup();
    t.equal((h.double.calls.get('batchAppend') ?? 0) > 0, batchAppend, `batchAppend used: ${batchAppend}`);
    t.equal((h.double.calls.get('append') ?? 0) > 0, !batchAppend, `append used: ${!batchAppend}`);
  }
});

t.test('positions are commit positions: increasing, not contiguous, system events hidden', async (t) => {
  const h = await onDouble({});
  t.teardown(h.cleanup);
  const first = await h.store.append(newStream(), events(2), 'any');
  h.double.log.writeSystemEvent('$stats-127.0.0.1:2113', '$statsCollected');
  const second = await h.store.append(newStream(), events(1), 'any');
  h.double.log.writeSystemEvent();
  const [a, b] = first.events.map((e) => e.globalPosition);
  t.ok(a! > 0 && b! > a! + 1, 'positions are log offsets');
  t.equal(await h.store.headPosition(), second.lastPosition, 'head skips trailing system events');
  t.same(
    (await h.store.readAll()).map((e) => e.id),
    [...first.events, ...second.events].map((e) => e.id),
    'readAll skips system events',
  );
});

/** Collects a subscription's deliveries in order. */
function collect(store: EventStoreDbStore, after: number, onEach?: (e: RecordedEvent) => Promise<void>) {
  const received: RecordedEvent[] = [];
  const errors: Error[] = [];
  const subscription = store.subscribeToAll(after, {
    async onEvent(e) {
      await onEach?.(e);
      received.push(e);
    },
    onError: (error) => void errors.push(error),
  });
  const waitFor = async (n: number, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (received.length < n) {
      if (errors.length > 0) throw errors[0];
      if (Date.now() > deadline) throw new Error(`timed out at ${received.length} of ${n}`);
      await delay(10);
    }
  };
  return { received, errors, subscription, waitFor };
}

t.test('subscription resumes after dropped connections: nothing lost, nothing twice', async (t) => {
  const h = await onDouble({});
  t.teardown(h.cleanup);
  const stream = newStream();
  const appended = [...(await h.store.append(stream, events(40), 'no-stream')).events];
  const sub = collect(h.store, 0, async () => {
    await delay(1);
  });
  await sub.waitFor(10);
  await h.double.dropConnections();
  // Appends go on while the subscription is down; the client reconnects its channel.
  for (let i = 0; i < 5; i++) appended.push(...(await h.store.append(stream, events(4), 'any')).events);
  await sub.waitFor(20);
  await h.double.dropConnections();
  await h.double.dropConnections();
  for (let i = 0; i < 5; i++) appended.push(...(await h.store.append(newStream(), events(2), 'any')).events);
  await sub.waitFor(appended.length);
  await delay(100);
  await sub.subscription.close();
  t.same(sub.errors, [], 'a dropped connection is not an error for the subscriber');
  t.same(
    sub.received.map((e) => e.id),
    appended.map((e) => e.id),
    'every event once, in order',
  );
  t.ok(h.double.calls.get('read')! > 3, 'it resubscribed');
});

/** A double and an adapter indexing one fresh stream (as the service indexes the ledger's), closed with the test. */
async function indexedOnDouble(t: Test) {
  const double = await startEventStoreDbDouble({});
  const ledger = newStream();
  const store = await openEventStoreDbStore({
    connectionString: double.connectionString,
    indexStreams: [ledger],
    ...fast,
  });
  t.teardown(async () => {
    await store.close();
    await double.close();
  });
  return { double, ledger, store };
}

t.test(
  'a subscriber wanting only indexed streams rides the index subscription: no call of its own, every event once',
  async (t) => {
    const { double, ledger, store } = await indexedOnDouble(t);
    const before = [...(await store.append(ledger, events(30), 'no-stream')).events];
    await store.append(newStream(), events(5), 'no-stream'); // another stream: not wanted
    double.resetCounts();
    const received: RecordedEvent[] = [];
    let caughtUpAt: number | undefined;
    const errors: Error[] = [];
    const rider = store.subscribeToAll(before[9]!.globalPosition, {
      streams: [ledger],
      async onEvent(e) {
        await delay(1); // a handler that takes its time: delivery waits for it
        received.push(e);
      },
      onCaughtUp: (position) => (caughtUpAt ??= position),
      onError: (error) => void errors.push(error),
    });
    const after: RecordedEvent[] = [];
    for (let i = 0; i < 4; i++) after.push(...(await store.append(ledger, events(5), 'any')).events);
    await store.append(newStream(), events(3), 'no-stream');
    const expected = [...before.slice(10), ...after];
    const deadline = Date.now() + 10_000;
    while (received.length < expected.length && Date.now() < deadline) await delay(10);
    await delay(50);
    await rider.close();
    t.same(errors, []);
    t.same(
      received.map((e) => e.id),
      expected.map((e) => e.id),
      'from where it started: what was stored (read), then what came (delivered), once each, in order, its stream only',
    );
    t.ok(caughtUpAt !== undefined && caughtUpAt >= before[29]!.globalPosition, 'caught up once past what was stored');
    t.equal(double.counts.subscriptions, 0, 'the server was asked for no subscription');
  },
);

t.test('a rider whose handler throws ends with that error; the index subscription goes on', async (t) => {
  const { ledger, store } = await indexedOnDouble(t);
  const broken = new Error('a fold that cannot go on');
  const errors: Error[] = [];
  store.subscribeToAll(0, {
    streams: [ledger],
    onEvent: () => {
      throw broken;
    },
    onError: (error) => void errors.push(error),
  });
  await store.append(ledger, events(2), 'no-stream');
  const deadline = Date.now() + 5_000;
  while (errors.length === 0 && Date.now() < deadline) await delay(10);
  t.same(errors, [broken], 'told once, with the handler’s own error');
  const healthy = collect(store, 0);
  await store.append(ledger, events(3), 'any');
  await healthy.waitFor(5);
  await healthy.subscription.close();
  t.equal(healthy.received.length, 5, 'the others are served as before');
});

t.test('a restarted service resumes from its checkpoint: projections equal a full replay', async (t) => {
  const h = await onDouble({});
  t.teardown(h.cleanup);
  const appended = [...(await h.store.append(newStream(), events(30), 'any')).events];
  // A projection: a count per stream, and the checkpoint it persisted.
  const projection = new Map<string, number>();
  let checkpoint = 0;
  const apply = (e: RecordedEvent) => {
    projection.set(e.stream, (projection.get(e.stream) ?? 0) + 1);
    checkpoint = e.globalPosition;
  };
  const first = h.store.subscribeToAll(0, { onEvent: apply });
  while (checkpoint < appended[14]!.globalPosition) await delay(5);
  await h.double.dropConnections();
  await first.close(); // The service stops mid-stream.

  appended.push(...(await h.store.append(newStream(), events(10), 'any')).events);
  const restarted = await h.reopen();
  const second = restarted.subscribeToAll(checkpoint, { onEvent: apply });
  while (checkpoint < appended.at(-1)!.globalPosition) await delay(5);
  await second.close();

  const replayed = new Map<string, number>();
  for (const e of await restarted.readAll()) replayed.set(e.stream, (replayed.get(e.stream) ?? 0) + 1);
  t.same(Object.fromEntries(projection), Object.fromEntries(replayed), 'no event applied twice or missed');
});

t.test('two replicas racing retries of one event id: one event stored', async (t) => {
  const h = await onDouble({});
  t.teardown(h.cleanup);
  const other = await openEventStoreDbStore({ connectionString: h.double.connectionString, ...fast });
  t.teardown(() => other.close());
  const stream = `ledger-${randomUUID()}`;
  await h.store.append(stream, events(1), 'no-stream');

  const retried = event();
  const results = await Promise.all([h.store.append(stream, [retried], 0), other.append(stream, [retried], 0)]);
  t.same(results.map((r) => r.replayed).sort(), [false, true], 'one wrote, the other replayed');
  t.equal(results[0]!.lastPosition, results[1]!.lastPosition, 'both answer with the original position');
  t.equal((await h.store.readStream(stream)).length, 2);

  const clash = event();
  const outcomes = await Promise.allSettled([
    h.store.append(stream, [clash], 'any'),
    other.append(stream, [{ ...clash, data: { different: true } }], 'any'),
  ]);
  t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  t.ok(
    outcomes.some((o) => o.status === 'rejected' && o.reason instanceof IdempotencyConflictError),
    'the different content is a conflict',
  );
  t.equal((await other.readStream(stream)).length, 3);
});

t.test('two replicas racing transfers out of one holder: never negative', async (t) => {
  const h = await onDouble({});
  t.teardown(h.cleanup);
  const other = await openEventStoreDbStore({ connectionString: h.double.connectionString, ...fast });
  t.teardown(() => other.close());
  const ledger = `ledger-${randomUUID()}`;
  await h.store.append(ledger, [event({ type: 'DonationReceived', data: { to: 'mss', quantity: 5 } })], 'no-stream');

  // Each transfer is decided on the stock read at a revision and appended at exactly that revision.
  const transfer = async (replica: EventStoreDbStore): Promise<'moved' | 'refused'> => {
    for (;;) {
      const history = await replica.readStream(ledger);
      const stock = history.reduce((n, e) => n + (e.type === 'DonationReceived' ? 5 : -1), 0);
      if (stock < 1) return 'refused';
      try {
        await replica.append(
          ledger,
          [event({ type: 'MaterielTransferred', data: { from: 'mss', to: 'hnp', quantity: 1 } })],
          history.at(-1)!.streamRevision,
        );
        return 'moved';
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
      }
    }
  };
  const outcomes = await Promise.all(Array.from({ length: 16 }, (_, i) => transfer(i % 2 ? other : h.store)));
  t.equal(outcomes.filter((o) => o === 'moved').length, 5, 'exactly the stock moved');
  const final = await h.store.readStream(ledger);
  t.equal(final.filter((e) => e.type === 'MaterielTransferred').length, 5, 'the holder ends at zero, not below');
});

t.test('the server’s own idempotency is best effort; ours is not', async (t) => {
  const double = await startEventStoreDbDouble({ idCacheSize: 2 });
  const client = EventStoreDBClient.connectionString(double.connectionString);
  t.teardown(async () => {
    await client.dispose();
    await double.close();
  });
  const stream = `ledger-${randomUUID()}`;
  const id = randomUUID();
  const write = (expectedRevision: 'any' | 'no_stream') =>
    client.appendToStream(stream, jsonEvent({ id, type: 'PartyRegistered', data: { n: 1 } }), { expectedRevision });
  const original = await write('no_stream');
  const exactReplay = await write('no_stream');
  t.equal(exactReplay.nextExpectedRevision, original.nextExpectedRevision, 'exact revision: the original result');
  await client.appendToStream(
    newStream(),
    [1, 2, 3].map(() => jsonEvent({ type: 'PartyRegistered', data: {} })),
  );
  await write('any');
  t.equal(double.log.stream(stream)!.length, 2, 'with any, an id evicted from the cache is written again');

  const store = await openEventStoreDbStore({ connectionString: double.connectionString, ...fast });
  t.teardown(() => store.close());
  const found = await store.readByIds([id]);
  t.equal(found.length, 1);
  t.equal(found[0]!.streamRevision, 0, 'the first occurrence is the original');
});

t.test('retention check reports a ledger stream with $maxAge', async (t) => {
  const h = await onDouble({});
  t.teardown(h.cleanup);
  const client = EventStoreDBClient.connectionString(h.double.connectionString);
  t.teardown(() => client.dispose());
  await h.store.append('ledger', events(1), 'any');
  t.same(await h.store.checkRetentionPolicies(['ledger']), [], 'none set');
  await client.setStreamMetadata('ledger', { maxAge: 3600 });
  await client.setStreamMetadata('other', { maxCount: 10, truncateBefore: 2 });
  t.same(await h.store.checkRetentionPolicies(['ledger', 'other', 'missing']), [
    { stream: 'ledger', maxAge: 3600 },
    { stream: 'other', maxCount: 10, truncateBefore: 2 },
  ]);
  const problems = await h.store.integrityProblems(['ledger']);
  t.equal(problems.length, 1, '/ready reports the ledger stream that may lose events');
  t.match(problems[0], /ledger.*\$maxAge=3600/);
  t.same(
    (await h.store.readAll()).map((e) => e.stream),
    ['ledger'],
    'metadata events live in $$ streams, hidden from the ledger',
  );
});

t.test('errors sent as a gRPC status with an exception trailer', async (t) => {
  const h = await onDouble({ batchAppend: false });
  t.teardown(h.cleanup);
  const stream = newStream();
  await h.store.append(stream, events(2), 'no-stream');
  // The shape servers before 20.6.1 used for a wrong expected version.
  h.double.injectFault({
    method: 'append',
    code: 9,
    exception: 'wrong-expected-version',
    metadata: { 'stream-name': stream, 'expected-version': '0', 'actual-version': '1' },
  });
  const error = await h.store.append(stream, events(1), 0).catch((e: unknown) => e);
  t.type(error, WrongExpectedRevisionError);
  t.match(error, { stream, expected: 0, actual: 1 });

  h.double.injectFault({ method: 'append', code: 7, exception: 'access-denied' });
  const denied = await h.store.append(stream, events(1), 1).catch((e: unknown) => e);
  t.type(denied, AccessDeniedError, 'the client maps the exception trailer; the adapter passes it on');
  t.match(denied, { type: 'access-denied' });
  t.equal(await h.store.streamRevision(stream), 1, 'nothing written');
});
