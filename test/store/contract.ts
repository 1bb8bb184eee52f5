/**
 * The store contract: what every EventStore engine must do, written once
 * against the port. Run it per engine with a factory for a store.
 *
 * Engine-neutral on purpose: it never assumes positions start at 1 or are
 * contiguous (engine-specific suites check that), streams and ids are fresh
 * per test, and global reads start from the head seen at the test's start. It
 * does assume it is the only writer while it runs.
 */
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type { RecordedEvent } from '../../events/index.js';
import {
  IdempotencyConflictError,
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
  type Subscription,
} from '../../src/store/port.js';

export interface StoreHarness {
  store: EventStore;
  /** Simulates a restart: closes `store` and returns a new store on the same data (for a server: a new client). */
  reopen: () => Promise<EventStore>;
  /** Closes whichever store is current and removes its data. */
  cleanup: () => Promise<void>;
}

export interface ContractOptions {
  /** A new store holds no events (head 0). False for engines with system events, e.g. a shared server. */
  startsEmpty?: boolean;
  /**
   * Makes an event that passes the port's checks but that this engine's storage refuses as it
   * inserts it (a constraint of its own, e.g. SQLite's NOT NULL). Without it, that test is skipped.
   */
  refusedAtInsert?: (e: EventToAppend) => EventToAppend;
}

export const newStream = (category = 'shipment'): string => `${category}-${randomUUID()}`;

export function event(overrides: Partial<EventToAppend> = {}): EventToAppend {
  return {
    id: randomUUID(),
    type: 'ShipmentDispatched',
    schemaVersion: 1,
    occurredAt: '2025-02-10T14:00:00.000Z',
    recordedBy: 'contract-test',
    data: { quantity: 12, items: [{ sku: 'A-1', note: 'crates' }] },
    metadata: { occurredPrecision: 'instant', correlationId: 'c-1' },
    ...overrides,
  };
}

export const events = (n: number, overrides: Partial<EventToAppend> = {}): EventToAppend[] =>
  Array.from({ length: n }, (_, i) => event({ data: { n: i }, ...overrides }));

const ids = (list: readonly { id: string }[]): string[] => list.map((e) => e.id);
const positions = (list: readonly RecordedEvent[]): number[] => list.map((e) => e.globalPosition);
const isIncreasing = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x > xs[i - 1]!);
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The fields a client chose, as they must come back. */
const asAppended = (e: RecordedEvent) => ({
  id: e.id,
  type: e.type,
  schemaVersion: e.schemaVersion,
  occurredAt: e.occurredAt,
  recordedBy: e.recordedBy,
  data: e.data,
  metadata: e.metadata,
});

/** Collects what a subscription delivers, with waits that fail instead of hanging. */
function collect(store: EventStore, after: number, onEvent?: (e: RecordedEvent) => Promise<void>) {
  const received: RecordedEvent[] = [];
  const caughtUpAt: number[] = [];
  const errors: Error[] = [];
  let waiters: (() => void)[] = [];
  const notify = () => {
    for (const w of waiters) w();
    waiters = [];
  };
  const subscription: Subscription = store.subscribeToAll(after, {
    async onEvent(e) {
      await onEvent?.(e);
      received.push(e);
      notify();
    },
    onCaughtUp(position) {
      caughtUpAt.push(position);
      notify();
    },
    onError(error) {
      errors.push(error);
      notify();
    },
  });
  const until = async (what: string, done: () => boolean, timeoutMs = 5000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (errors.length > 0) throw errors[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (received ${received.length})`);
      await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), delay(Math.min(left, 50))]);
    }
  };
  return {
    received,
    caughtUpAt,
    errors,
    subscription,
    waitForCount: (n: number) => until(`${n} events`, () => received.length >= n),
    waitForCaughtUp: () => until('catch-up', () => caughtUpAt.length > 0),
  };
}

export function storeContract(
  t: Test,
  name: string,
  makeStore: () => Promise<StoreHarness>,
  options: ContractOptions = {},
): void {
  /** One fresh store per subtest; `head0` is where this test's events start. */
  const withStore = (
    title: string,
    body: (t: Test, store: EventStore, h: StoreHarness, head0: number) => unknown,
    skip: string | false = false,
  ) =>
    t.test(`${name}: ${title}`, { skip }, async (t) => {
      const harness = await makeStore();
      t.teardown(() => harness.cleanup());
      await body(t, harness.store, harness, await harness.store.headPosition());
    });

  withStore(
    'a new store is empty',
    async (t, store) => {
      t.equal(await store.headPosition(), 0);
      t.same(await store.readAll(), []);
      t.equal(await store.streamRevision(newStream()), undefined);
      t.same(await store.readStream(newStream()), []);
    },
    options.startsEmpty === false && 'the engine starts with events',
  );

  withStore('append to a new stream with no-stream', async (t, store) => {
    const stream = newStream();
    const batch = events(3);
    const result = await store.append(stream, batch, 'no-stream');
    t.equal(result.replayed, false);
    t.equal(result.streamRevision, 2);
    t.same(
      result.events.map((e) => e.streamRevision),
      [0, 1, 2],
      'revisions start at 0',
    );
    t.ok(isIncreasing(positions(result.events)), 'positions increase within the batch');
    t.equal(result.lastPosition, result.events[2]!.globalPosition);
    t.same(result.events.map(asAppended), batch, 'every client-chosen field is stored as given');
    for (const e of result.events) {
      t.equal(e.stream, stream);
      t.equal(new Date(e.recordedAt).toISOString(), e.recordedAt, 'recordedAt is an ISO instant');
    }
    t.same(await store.readStream(stream), result.events, 'readStream returns what append returned');
    t.equal(await store.streamRevision(stream), 2);
  });

  withStore('no-stream on an existing stream fails with the actual revision', async (t, store, _h, head0) => {
    const stream = newStream();
    await store.append(stream, events(2), 'no-stream');
    const late = events(1);
    const error = await rejection(store.append(stream, late, 'no-stream'));
    t.type(error, WrongExpectedRevisionError);
    t.match(error, { stream, expected: 'no-stream', actual: 1, code: 'expected-revision-mismatch' });
    t.same(await store.readByIds(ids(late)), [], 'nothing appended');
    t.equal((await store.readAll({ after: head0 })).length, 2);
  });

  withStore('exact expected revision: match appends, mismatch fails with actual', async (t, store) => {
    const stream = newStream();
    await store.append(stream, events(2), 'no-stream');
    const next = await store.append(stream, events(1), 1);
    t.equal(next.streamRevision, 2);
    t.equal(next.events[0]!.streamRevision, 2);

    for (const expected of [1, 3, 0]) {
      const error = await rejection(store.append(stream, events(1), expected));
      t.type(error, WrongExpectedRevisionError, `expected ${expected} against 2`);
      t.match(error, { stream, expected, actual: 2 });
    }
    const missing = newStream();
    const error = await rejection(store.append(missing, events(1), 0));
    t.type(error, WrongExpectedRevisionError, 'a number against a missing stream');
    t.match(error, { stream: missing, expected: 0 });
    t.equal((error as WrongExpectedRevisionError).actual, undefined, 'actual is undefined for no stream');
    t.equal(await store.streamRevision(missing), undefined, 'the failed append did not create the stream');
    t.equal(await store.streamRevision(stream), 2);
  });

  withStore('any appends to new and existing streams', async (t, store) => {
    const stream = newStream();
    t.equal((await store.append(stream, events(1), 'any')).streamRevision, 0);
    t.equal((await store.append(stream, events(2), 'any')).streamRevision, 2);
    t.same(
      (await store.readStream(stream)).map((e) => e.streamRevision),
      [0, 1, 2],
    );
  });

  withStore('an empty batch is refused', async (t, store) => {
    const stream = newStream();
    const error = await rejection(store.append(stream, [], 'any'));
    t.type(error, Error);
    t.notOk(error instanceof WrongExpectedRevisionError || error instanceof IdempotencyConflictError, 'a plain error');
    t.equal(await store.streamRevision(stream), undefined);
  });

  withStore('a failing batch leaves nothing behind', async (t, store, _h, head0) => {
    const stream = newStream();
    const first = await store.append(stream, events(2), 'no-stream');

    const wrongRevision = events(5);
    t.type(await rejection(store.append(stream, wrongRevision, 0)), WrongExpectedRevisionError);
    t.same(await store.readByIds(ids(wrongRevision)), []);

    // The third event clashes with a stored one: the first two must not be stored either.
    const clash = [...events(2), { ...first.events[0]!, data: { changed: true } }, ...events(2)];
    const error = await rejection(store.append(stream, clash, 'any'));
    t.type(error, IdempotencyConflictError);
    t.same(await store.readByIds(ids(clash).filter((id) => id !== first.events[0]!.id)), []);
    t.equal(await store.streamRevision(stream), 1);
    t.same(positions(await store.readAll({ after: head0 })), positions(first.events));
    t.equal(await store.headPosition(), first.lastPosition);
  });

  withStore(
    'an event the storage refuses at insert fails the append, first or later in the batch, and stores nothing',
    async (t, store, _h, head0) => {
      const refused = options.refusedAtInsert!;
      const stream = newStream();
      for (const [where, batch] of [
        ['first', [refused(event()), event(), event()]],
        ['last', [event(), event(), refused(event())]],
      ] as const) {
        const error = await rejection(store.append(stream, [...batch], 'any'));
        t.type(error, Error, `the ${where} event refused: the append fails`);
        t.same(await store.readByIds(ids(batch)), [], `the ${where} event refused: none of the batch is stored`);
        t.equal(await store.streamRevision(stream), undefined, 'the stream was not created');
        t.equal(await store.headPosition(), head0, 'the head did not move');
      }
      const next = await store.append(stream, events(2), 'no-stream');
      t.same(
        next.events.map((e) => e.streamRevision),
        [0, 1],
        'the stream starts afresh at revision 0',
      );
      t.same(ids(await store.readAll({ after: head0 })), ids(next.events), 'and holds only what was stored');
    },
    options.refusedAtInsert === undefined && 'no way to make this engine refuse an insert',
  );

  withStore('retrying a stored batch replays the original result', async (t, store) => {
    const stream = newStream();
    const batch = [event(), event(), event()];
    const original = await store.append(stream, batch, 'no-stream');
    await store.append(stream, events(2), 2); // The stream moves on after the original append.
    const head = await store.headPosition();

    // Same ids and content; keys in another order; another recorder: still the same content.
    const retry = batch.map((e) => ({ ...e, recordedBy: 'replica-2', metadata: { ...e.metadata } }));
    retry[0] = { ...retry[0]!, data: Object.fromEntries(Object.entries(retry[0]!.data as object).reverse()) };
    const replay = await store.append(stream, retry, 'no-stream');
    t.equal(replay.replayed, true);
    t.same(replay.events, original.events, 'same positions, revisions and recordedAt as the original');
    t.equal(replay.lastPosition, original.lastPosition);
    t.equal(replay.streamRevision, original.streamRevision);
    t.equal(await store.headPosition(), head, 'nothing new written');
    t.equal((await store.readStream(stream)).length, 5);

    const single = await store.append(stream, [batch[1]!], 4);
    t.equal(single.replayed, true, 'a retry of part of a batch replays that part');
    t.same(single.events, [original.events[1]]);
  });

  withStore('a reused id with different content is a conflict', async (t, store, _h, head0) => {
    const stream = newStream();
    const stored = event();
    await store.append(stream, [stored], 'no-stream');

    const variants: [string, string, EventToAppend][] = [
      ['data', stream, { ...stored, data: { quantity: 13 } }],
      ['type', stream, { ...stored, type: 'ShipmentReceived' }],
      ['occurredAt', stream, { ...stored, occurredAt: '2025-02-11T14:00:00.000Z' }],
      ['metadata', stream, { ...stored, metadata: { occurredPrecision: 'day' } }],
      ['schemaVersion', stream, { ...stored, schemaVersion: 2 }],
      ['stream', newStream(), stored],
    ];
    for (const [what, target, variant] of variants) {
      const error = await rejection(store.append(target, [variant], 'any'));
      t.type(error, IdempotencyConflictError, `different ${what}`);
      t.match(error, { eventId: stored.id, code: 'idempotency-conflict' });
    }

    const fresh = event();
    const error = await rejection(store.append(stream, [stored, fresh], 'any'));
    t.type(error, IdempotencyConflictError, 'a batch mixing stored and new ids');
    t.same(await store.readByIds([fresh.id]), [], 'the new id of the mixed batch is not stored');
    t.equal((await store.readAll({ after: head0 })).length, 1);
  });

  withStore('idempotency survives a restart', async (t, store, harness) => {
    const stream = newStream();
    const batch = events(2);
    const original = await store.append(stream, batch, 'no-stream');

    const reopened = await harness.reopen();
    t.same(await reopened.readStream(stream), original.events, 'events survive the restart');
    const replay = await reopened.append(stream, batch, 'no-stream');
    t.equal(replay.replayed, true);
    t.same(replay.events, original.events);
    const conflict = await rejection(reopened.append(stream, [{ ...batch[0]!, data: { other: 1 } }], 'any'));
    t.type(conflict, IdempotencyConflictError);
    const next = await reopened.append(stream, events(1), 1);
    t.equal(next.streamRevision, 2, 'revisions continue after the restart');
    t.ok(next.lastPosition > original.lastPosition, 'positions continue after the restart');
  });

  withStore('global order across streams, revisions per stream', async (t, store, _h, head0) => {
    const a = newStream();
    const b = newStream('party');
    const appended: RecordedEvent[] = [];
    for (const [stream, n] of [
      [a, 1],
      [b, 2],
      [a, 2],
      [b, 1],
      [a, 1],
    ] as const) {
      appended.push(...(await store.append(stream, events(n), 'any')).events);
    }
    const all = await store.readAll({ after: head0 });
    t.same(ids(all), ids(appended), 'readAll returns events in append order');
    t.ok(isIncreasing(positions(all)), 'global positions increase');
    t.ok(
      all.every((e) => e.globalPosition > head0),
      'all after the starting head',
    );
    t.same(
      (await store.readStream(a)).map((e) => e.streamRevision),
      range(0, 4),
    );
    t.same(
      (await store.readStream(b)).map((e) => e.streamRevision),
      range(0, 3),
    );
    t.same(ids(await store.readStream(b)), ids(appended.filter((e) => e.stream === b)));
    t.equal(await store.headPosition(), appended.at(-1)!.globalPosition, 'head is the last position');
  });

  withStore('readAll and readStream with after and limit', async (t, store, _h, head0) => {
    const stream = newStream();
    const other = newStream();
    const all = [
      ...(await store.append(stream, events(3), 'any')).events,
      ...(await store.append(other, events(2), 'any')).events,
      ...(await store.append(stream, events(3), 'any')).events,
    ];
    const p = positions(all);
    t.same(positions(await store.readAll({ after: head0 })), p);
    t.same(positions(await store.readAll({ after: p[2]! })), p.slice(3), 'after is exclusive');
    t.same(positions(await store.readAll({ after: p[2]!, limit: 2 })), p.slice(3, 5));
    t.same(positions(await store.readAll({ after: head0, limit: 0 })), []);
    t.same(await store.readAll({ after: p.at(-1)! }), [], 'nothing after the head');

    const mine = all.filter((e) => e.stream === stream);
    t.same(await store.readStream(stream), mine);
    t.same(await store.readStream(stream, { after: 1 }), mine.slice(2), 'after is an exclusive revision');
    t.same(await store.readStream(stream, { after: 1, limit: 2 }), mine.slice(2, 4));
    t.same(await store.readStream(stream, { limit: 1 }), mine.slice(0, 1));
    t.same(await store.readStream(stream, { after: 5 }), []);
    t.same(await store.readStream(newStream()), [], 'a missing stream reads empty');
  });

  withStore('readByIds returns the stored ones only', async (t, store) => {
    const stored = (await store.append(newStream(), events(4), 'any')).events;
    const found = await store.readByIds([stored[2]!.id, randomUUID(), stored[0]!.id]);
    t.same(found.map((e) => e.id).sort(), [stored[0]!.id, stored[2]!.id].sort());
    t.same(
      found.find((e) => e.id === stored[2]!.id),
      stored[2],
      'full events',
    );
    t.same(await store.readByIds([]), []);
    t.same(await store.readByIds([randomUUID()]), []);
  });

  withStore('headPosition follows appends, not failures or replays', async (t, store, _h, head0) => {
    const stream = newStream();
    const batch = events(2);
    const first = await store.append(stream, batch, 'no-stream');
    t.equal(await store.headPosition(), first.lastPosition);
    t.ok(first.lastPosition > head0);
    t.type(await rejection(store.append(stream, events(1), 'no-stream')), WrongExpectedRevisionError);
    t.equal((await store.append(stream, batch, 'no-stream')).replayed, true);
    t.equal(await store.headPosition(), first.lastPosition);
    const second = await store.append(stream, events(1), 1);
    t.equal(await store.headPosition(), second.lastPosition);
  });

  withStore('concurrent appends with the same expected revision: exactly one wins', async (t, store) => {
    const stream = newStream();
    await store.append(stream, events(1), 'no-stream');
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => store.append(stream, events(2), 0)));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    t.equal(won.length, 1);
    t.equal(lost.length, 9);
    t.ok(
      lost.every((e) => e instanceof WrongExpectedRevisionError && e.actual === 2),
      'the others see the winner',
    );
    t.equal(await store.streamRevision(stream), 2);
    t.equal((await store.readStream(stream)).length, 3);
  });

  withStore('concurrent appends to different streams all land', async (t, store, _h, head0) => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append(newStream(), events((i % 3) + 1), 'no-stream')),
    );
    const all = await store.readAll({ after: head0 });
    t.equal(
      all.length,
      results.reduce((n, r) => n + r.events.length, 0),
    );
    t.same(ids(all).sort(), results.flatMap((r) => ids(r.events)).sort());
    t.ok(isIncreasing(positions(all)));
    for (const r of results) {
      const p = positions(r.events);
      const at = all.findIndex((e) => e.globalPosition === p[0]);
      t.same(positions(all.slice(at, at + p.length)), p, 'a batch is not interleaved with others');
    }
  });

  withStore('subscribe: catch-up, then live, in order, none twice', async (t, store, _h, head0) => {
    const stream = newStream();
    const old = (await store.append(stream, events(3), 'no-stream')).events;
    const sub = collect(store, head0);
    t.teardown(() => sub.subscription.close());
    await sub.waitForCaughtUp();
    t.same(ids(sub.received), ids(old), 'stored events arrive before catch-up');
    t.same(sub.caughtUpAt, [old.at(-1)!.globalPosition], 'onCaughtUp with the last position');

    const live = [
      ...(await store.append(stream, events(2), 2)).events,
      ...(await store.append(newStream(), events(1), 'any')).events,
    ];
    await sub.waitForCount(6);
    await delay(50); // Room for a duplicate to show up.
    t.same(ids(sub.received), ids([...old, ...live]), 'then new events, in order, none twice');
    t.same(sub.received, [...old, ...live], 'delivered events equal the stored ones');
    t.equal(sub.caughtUpAt.length, 1, 'onCaughtUp is called once');
  });

  withStore('subscribe from a middle position', async (t, store) => {
    const stored = (await store.append(newStream(), events(5), 'any')).events;
    const sub = collect(store, stored[1]!.globalPosition);
    t.teardown(() => sub.subscription.close());
    await sub.waitForCaughtUp();
    t.same(ids(sub.received), ids(stored.slice(2)), 'after is exclusive');
    const more = (await store.append(newStream(), events(1), 'any')).events;
    await sub.waitForCount(4);
    t.same(ids(sub.received), ids([...stored.slice(2), ...more]));
  });

  withStore('subscribe at the head: caught up at once, then live', async (t, store) => {
    await store.append(newStream(), events(2), 'any');
    const head = await store.headPosition();
    const sub = collect(store, head);
    t.teardown(() => sub.subscription.close());
    await sub.waitForCaughtUp();
    t.same(sub.received, []);
    t.same(sub.caughtUpAt, [head]);
    const live = (await store.append(newStream(), events(1), 'any')).events;
    await sub.waitForCount(1);
    t.same(ids(sub.received), ids(live));
  });

  withStore('appends during a slow catch-up are delivered once, in order', async (t, store, _h, head0) => {
    const stream = newStream();
    const appended = [...(await store.append(stream, events(20), 'no-stream')).events];
    const sub = collect(store, head0, () => delay(2)); // A slow handler: appends overtake delivery.
    t.teardown(() => sub.subscription.close());
    for (let i = 0; i < 10; i++) {
      const batches = await Promise.all([
        store.append(stream, events(2), 'any'),
        store.append(newStream(), events(1), 'any'),
      ]);
      appended.push(...batches.flatMap((b) => b.events));
      await delay(1);
    }
    appended.sort((x, y) => x.globalPosition - y.globalPosition);
    await sub.waitForCount(appended.length);
    await delay(50);
    t.same(ids(sub.received), ids(appended));
    t.equal(sub.caughtUpAt.length, 1);
  });

  withStore('a closed subscription delivers nothing more', async (t, store, _h, head0) => {
    await store.append(newStream(), events(2), 'any');
    const sub = collect(store, head0);
    await sub.waitForCaughtUp();
    await sub.subscription.close();
    await store.append(newStream(), events(2), 'any');
    await delay(100);
    t.equal(sub.received.length, 2);
  });

  withStore('close() from inside onEvent stops delivery without deadlock', async (t, store, _h, head0) => {
    await store.append(newStream(), events(5), 'any');
    const received: RecordedEvent[] = [];
    let subscription: Subscription | undefined;
    const closed = new Promise<void>((resolve) => {
      subscription = store.subscribeToAll(head0, {
        async onEvent(e) {
          received.push(e);
          if (received.length === 2) {
            await subscription!.close();
            resolve();
          }
        },
      });
    });
    await Promise.race([closed, delay(2000).then(() => Promise.reject(new Error('close() deadlocked')))]);
    await delay(50);
    t.equal(received.length, 2);
  });

  withStore('a failing handler reports to onError and stops', async (t, store, _h, head0) => {
    await store.append(newStream(), events(3), 'any');
    const received: RecordedEvent[] = [];
    const failure = new Promise<Error>((resolve) => {
      store.subscribeToAll(head0, {
        onEvent(e) {
          received.push(e);
          if (received.length === 2) throw new Error('projection broke');
        },
        onError: resolve,
      });
    });
    t.match(await failure, { message: 'projection broke' });
    await store.append(newStream(), events(1), 'any');
    await delay(50);
    t.equal(received.length, 2, 'no delivery after the failure');
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
