/**
 * The service on EventStoreDB, one replica or two on one server (the protocol double), counted in
 * the double's calls: concurrent posts are written in a few group appends with no reads; a group
 * that loses the revision race to another replica is decided again; two replicas racing transfers
 * out of one holder never overdraw, store every acknowledged event once, and each reads the
 * other's writes with `minPosition`.
 */
import t, { type Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import type { IncomingEvent } from '../../events/index.js';
import { buildApp } from '../../src/http/app.js';
import { LEDGER_STREAM } from '../../src/ledger/book.js';
import { connectWithRetry, openStore, startLedger } from '../../src/service.js';
import { StartupError } from '../../src/store/data-dir.js';
import { openEventStoreDbStore } from '../../src/store/eventstoredb.js';
import { startEventStoreDbDouble, type EventStoreDbDouble } from '../eventstoredb-double/server.js';
import { donation, line, transfer, world } from '../support/fixtures.js';
import { bearer, testKeyRing } from '../support/ledger.js';

async function replica(t: Test, double: EventStoreDbDouble) {
  const store = await openEventStoreDbStore({
    connectionString: double.connectionString,
    indexStreams: [LEDGER_STREAM],
    resubscribeDelayMs: { initial: 20, max: 200 },
  });
  const ledger = await startLedger(store, { storeTimeoutMs: 5000 });
  const app = await buildApp(ledger, { auth: testKeyRing(), rateLimitPerMinute: 1_000_000 });
  t.teardown(async () => {
    await app.close();
    await ledger.close();
  });
  return { app, ledger, store };
}

const post = (app: FastifyInstance, body: IncomingEvent | IncomingEvent[]) =>
  app.inject({ method: 'POST', url: '/v1/events', payload: body as object, headers: bearer('recorder') });

type Posted = { events: { id: string; globalPosition: number; streamRevision: number }[]; position: number };

/** The rifles a holder has, as a replica's inventory answers at (at least) `minPosition`. */
async function rifles(app: FastifyInstance, holder: string, minPosition = 0): Promise<number> {
  const response = await app.inject({
    method: 'GET',
    url: `/v1/inventory?minPosition=${minPosition}`,
    headers: bearer('auditor'),
  });
  const body = response.json<{ holders: { holder: string; items: { itemType: string; quantity: number }[] }[] }>();
  return body.holders.find((h) => h.holder === holder)?.items.find((i) => i.itemType === 'rifle')?.quantity ?? 0;
}

const copiesOf = (double: EventStoreDbDouble) => {
  const copies = new Map<string, number>();
  for (const record of double.log.stream(LEDGER_STREAM) ?? []) copies.set(record.id, (copies.get(record.id) ?? 0) + 1);
  return copies;
};

t.test('50 concurrent posts: a few group appends, no reads, each answered with its own positions', async (t) => {
  const double = await startEventStoreDbDouble();
  t.teardown(() => double.close());
  const { app } = await replica(t, double);
  t.equal((await post(app, world())).statusCode, 201);
  t.equal((await post(app, donation('us-inl', 'mss', [line('rifle', 40)]))).statusCode, 201);

  double.resetCounts();
  // 50 transfers of one rifle out of 40: ten must be refused, each on its own.
  const responses = await Promise.all(
    Array.from({ length: 50 }, () => post(app, transfer('mss', 'hnp', [line('rifle', 1)]))),
  );
  const counted = double.resetCounts();
  const accepted = responses.filter((r) => r.statusCode === 201);
  const refused = responses.filter((r) => r.statusCode === 409);
  t.equal(accepted.length, 40, 'exactly the stock moved');
  t.equal(refused.length, 10, 'the rest refused, each request on its own');
  t.ok(counted.appends <= 5, `${counted.appends} appends for 50 posts`);
  t.equal(counted.reads, 0, 'no reads: ids and positions come from the index and the subscription');
  t.equal(counted.recordsRead, 0);
  const stored = new Map((double.log.stream(LEDGER_STREAM) ?? []).map((r) => [r.id, r]));
  for (const response of accepted) {
    const [event] = response.json<Posted>().events;
    const record = stored.get(event!.id);
    if (!record || record.position !== event!.globalPosition || record.revision !== event!.streamRevision)
      t.fail('a post answered with positions not its own', { event, record });
  }
  t.equal(new Set(accepted.map((r) => r.json<Posted>().position)).size, 40, 'forty distinct positions');
  t.equal(await rifles(app, 'hnp', Math.max(...accepted.map((r) => r.json<Posted>().position))), 40);
});

t.test('a group that loses the revision race to another replica is decided again', async (t) => {
  const double = await startEventStoreDbDouble();
  t.teardown(() => double.close());
  const a = await replica(t, double);
  t.equal((await post(a.app, world())).statusCode, 201);
  t.equal((await post(a.app, donation('us-inl', 'mss', [line('rifle', 5)]))).statusCode, 201);
  const b = await replica(t, double);

  // B moves four rifles just before A's next append lands: A decided on five.
  let fromB: Posted | undefined;
  double.beforeNextAppend(async () => {
    const response = await post(b.app, transfer('mss', 'hnp', [line('rifle', 4)]));
    fromB = response.json<Posted>();
  });
  const responses = await Promise.all([1, 2, 3].map(() => post(a.app, transfer('mss', 'hnp', [line('rifle', 1)]))));
  t.ok(fromB, "B's transfer was written first");
  t.same(
    responses.map((r) => r.statusCode),
    [201, 409, 409],
    'A decided again on the one rifle left: the first moves it, the others are refused',
  );
  const moved = responses[0]!.json<Posted>();
  t.ok(moved.position > fromB!.position, "A's event is stored after B's");
  t.equal(await rifles(a.app, 'mss', moved.position), 0, 'never below zero');
  t.equal(await rifles(b.app, 'hnp', moved.position), 5);
});

t.test('two replicas racing transfers out of one holder', async (t) => {
  const double = await startEventStoreDbDouble();
  t.teardown(() => double.close());
  const a = await replica(t, double);
  t.equal((await post(a.app, world())).statusCode, 201);
  t.equal((await post(a.app, donation('us-inl', 'mss', [line('rifle', 20)]))).statusCode, 201);
  const b = await replica(t, double);

  const requests = Array.from({ length: 40 }, (_, i) => ({
    app: i % 2 ? b.app : a.app,
    body: transfer('mss', 'hnp', [line('rifle', 1)]),
  }));
  // Each client retries a 503 with the same event ids until it is answered.
  const responses = await Promise.all(
    requests.map(async ({ app, body }) => {
      for (;;) {
        const response = await post(app, body);
        if (response.statusCode !== 503) return response;
      }
    }),
  );
  const acknowledged = responses.filter((r) => r.statusCode === 201 || r.statusCode === 200);
  t.equal(acknowledged.length, 20, 'exactly the stock moved: no overdraft');
  t.ok(
    responses.every((r) => [200, 201, 409].includes(r.statusCode)),
    'every other request refused as an overdraft',
  );
  const copies = copiesOf(double);
  for (const response of acknowledged) {
    const id = response.json<Posted>().events[0]!.id;
    if (copies.get(id) !== 1) t.fail(`event ${id} stored ${copies.get(id) ?? 0} times`);
  }
  t.equal([...copies.values()].filter((n) => n !== 1).length, 0, 'every event stored once');

  // Each replica's projections equal a full replay (a third replica, started from nothing).
  const head = Math.max(...acknowledged.map((r) => r.json<Posted>().position));
  const c = await replica(t, double);
  const inventory = async (app: FastifyInstance) =>
    (await app.inject({ method: 'GET', url: `/v1/inventory?minPosition=${head}`, headers: bearer('auditor') })).json<{
      holders: unknown;
      totals: unknown;
    }>();
  const replayed = await inventory(c.app);
  t.same((await inventory(a.app)).holders, replayed.holders, 'replica A equals a full replay');
  t.same((await inventory(b.app)).holders, replayed.holders, 'replica B equals a full replay');
  t.equal(await rifles(c.app, 'mss'), 0, 'the holder ends at zero, not below');

  // Read your writes across replicas: a post to A, read from B with minPosition.
  const more = await post(a.app, donation('us-inl', 'hnp', [line('rifle', 3)]));
  t.equal(more.statusCode, 201);
  t.equal(await rifles(b.app, 'hnp', more.json<Posted>().position), 23, "B answers with A's write");
});

t.test('a retention check the server refuses makes /ready 503 with the reason', async (t) => {
  const double = await startEventStoreDbDouble();
  t.teardown(() => double.close());
  const { app } = await replica(t, double);
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
  // The ledger stream's metadata lives in $$ledger; a key without read access there is refused.
  for (let i = 0; i < 2; i++)
    double.injectFault({
      method: 'read',
      stream: `$$${LEDGER_STREAM}`,
      code: 7,
      exception: 'access-denied',
      details: 'Access denied',
    });
  const response = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(response.statusCode, 503);
  t.match(
    response.json<{ problems: string[] }>().problems.join('\n'),
    /access denied/i,
    'the reason is named, not swallowed',
  );
});

t.test('the service refuses to start on a server older than it needs', async (t) => {
  const double = await startEventStoreDbDouble({ serverVersion: '23.6.0' });
  t.teardown(() => double.close());
  const config = { DATA_DIR: t.testdir(), EVENTSTORE_CONNECTION_STRING: double.connectionString };
  const error = await connectWithRetry(() => openStore(config), 5_000).catch((e: unknown) => e);
  t.type(error, StartupError, 'not retried: no waiting will change the version');
  t.match((error as Error).message, /version 23\.6\.0: MSS Ledger needs 23\.10 or later/);
});
