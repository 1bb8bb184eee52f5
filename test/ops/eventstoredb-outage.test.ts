/**
 * The service on EventStoreDB when the server goes away, as its clients see
 * it: the app and the ledger in process, on the protocol double, with many
 * clients posting while the node is stopped and started again, an append
 * whose reply is lost, and a node that is down when the service starts.
 * Clients behave as the answers tell them to: a 503 is retried with the same
 * event ids. Nothing acknowledged may be lost, nothing stored twice, and no
 * request may wait past the bound.
 */
import t, { type Test } from 'tap';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { IncomingEvent } from '../../events/index.js';
import { buildApp } from '../../src/http/app.js';
import { LEDGER_STREAM } from '../../src/ledger/book.js';
import { connectWithRetry, startLedger } from '../../src/service.js';
import { openEventStoreDbStore } from '../../src/store/eventstoredb.js';
import { within, type StoreFault } from '../../src/store/faults.js';
import { startEventStoreDbDouble, type EventStoreDbDouble } from '../eventstoredb-double/server.js';
import { donation, line, world } from '../support/fixtures.js';
import { bearer, testKeyRing } from '../support/ledger.js';

/** The adapter's bound per call, the service's per request, and the slack a loaded CI machine gets on top. */
const ADAPTER_TIMEOUT_MS = 1200;
const STORE_TIMEOUT_MS = 2000;
const ANSWERED_WITHIN_MS = STORE_TIMEOUT_MS + 1500;
const CLIENTS = 24;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
t.teardown(() => void process.off('unhandledRejection', onUnhandled));

const storeOptions = (double: EventStoreDbDouble) => ({
  connectionString: double.connectionString,
  timeoutMs: ADAPTER_TIMEOUT_MS,
  resubscribeDelayMs: { initial: 20, max: 200 },
});

async function serviceOn(t: Test, double: EventStoreDbDouble) {
  const store = await openEventStoreDbStore(storeOptions(double));
  const ledger = await startLedger(store, { storeTimeoutMs: STORE_TIMEOUT_MS });
  const app = await buildApp(ledger, { auth: testKeyRing(), rateLimitPerMinute: 1_000_000 });
  t.teardown(async () => {
    double.stall(false);
    if (!double.running) await double.start();
    await app.close();
    await ledger.close();
  });
  return { app, ledger, store };
}

const post = (app: FastifyInstance, body: IncomingEvent | IncomingEvent[]) =>
  app.inject({ method: 'POST', url: '/v1/events', payload: body as object, headers: bearer('recorder') });

/** What a 503 must be: a fault problem a client can act on. */
function checkFault(t: Test, response: LightMyRequestResponse, allowed: readonly StoreFault['fault'][]): string {
  const problem = response.json<{ type: string; status: number; detail: string }>();
  const fault = problem.type.replace('urn:mss-ledger:fault:', '');
  if (
    !/^application\/problem\+json/.test(String(response.headers['content-type'])) ||
    !/^\d+$/.test(String(response.headers['retry-after'])) ||
    !allowed.includes(fault as StoreFault['fault']) ||
    problem.status !== response.statusCode
  ) {
    t.fail('a 503 is a fault problem with Retry-After', {
      status: response.statusCode,
      headers: response.headers,
      problem,
    });
  }
  return fault;
}

/** How many times each id is stored on the ledger stream of the double. */
const copiesOf = (double: EventStoreDbDouble) => {
  const copies = new Map<string, number>();
  for (const record of double.log.stream(LEDGER_STREAM) ?? []) copies.set(record.id, (copies.get(record.id) ?? 0) + 1);
  return copies;
};

t.test(
  `${CLIENTS} clients post through outages: every request answered in time, nothing lost or doubled`,
  async (t) => {
    const double = await startEventStoreDbDouble();
    t.teardown(() => double.close());
    const { app } = await serviceOn(t, double);
    t.equal((await post(app, world())).statusCode, 201);

    const acknowledged = new Set<string>();
    const answers = new Map<string, number>();
    const count = (key: string) => answers.set(key, (answers.get(key) ?? 0) + 1);
    const state = { phase: 'load', done: false, slowest: 0, unexpected: 0 };

    const client = async (i: number) => {
      while (!state.done) {
        const gift = donation('us-inl', 'mss', [line('rounds', 1 + i)]);
        // Until it is acknowledged: a 503 says retry, and idempotency makes the same ids safe to send again.
        for (;;) {
          const started = Date.now();
          // A request left unanswered fails here, by name, rather than as the whole test's timeout.
          const response = await within(post(app, gift), 30_000, () => new Error(`unanswered in ${state.phase}`));
          state.slowest = Math.max(state.slowest, Date.now() - started);
          if (response.statusCode === 201 || response.statusCode === 200) {
            count(`${state.phase}: ${response.statusCode}`);
            acknowledged.add(gift.id!);
            break;
          }
          if (response.statusCode === 503) {
            count(`${state.phase}: 503 ${checkFault(t, response, ['store-unavailable', 'append-outcome-unknown'])}`);
            await delay(50);
            continue;
          }
          state.unexpected++;
          t.fail(`unexpected answer ${response.statusCode}`, { body: response.body });
          return;
        }
      }
    };
    /** Waits until clients have had `n` more events acknowledged: the ledger takes writes. */
    const progress = async (n: number) => {
      const target = acknowledged.size + n;
      const deadline = Date.now() + 20_000;
      while (acknowledged.size < target && Date.now() < deadline) await delay(10);
      t.ok(acknowledged.size >= target, `writes go on after ${state.phase}`);
    };

    const clients = Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    await progress(40);

    // The node goes down under load, for longer than any request may wait.
    state.phase = 'down';
    await double.stop();
    await delay(STORE_TIMEOUT_MS + 500);
    const readWhileDown = await app.inject({ method: 'GET', url: '/v1/events?limit=5', headers: bearer('auditor') });
    if (readWhileDown.statusCode !== 200) checkFault(t, readWhileDown, ['store-unavailable']);
    t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the process stays up');
    const notReady = await app.inject({ method: 'GET', url: '/ready' });
    t.equal(notReady.statusCode, 503, '/ready says it cannot take writes');
    t.match(notReady.json().problems.join(' '), /unavailable/i, 'and why: the store is unavailable');
    await double.start();
    await progress(40);
    // Under load the projections may trail the head (a reason of its own), and one slow answer may
    // time out on a busy machine: within a few tries the store's fault is gone.
    let storeProblems = '';
    for (let i = 0; i < 10; i++) {
      const backUp = await app.inject({ method: 'GET', url: '/ready' });
      storeProblems = backUp
        .json<{ problems: string[] }>()
        .problems.filter((p) => /unavailable|does not answer|writes fail/i.test(p))
        .join('; ');
      if (!storeProblems) break;
      await delay(200);
    }
    t.equal(storeProblems, '', '/ready no longer reports the store once the node is back');

    // The node hangs: calls are taken and never answered.
    state.phase = 'hung';
    double.stall(true);
    await delay(STORE_TIMEOUT_MS + 500);
    double.stall(false);
    await progress(40);

    // A group append is stored and its reply lost.
    state.phase = 'reply lost';
    const dropped = double.droppedReplies.length;
    double.dropNextAppendReply();
    const dropDeadline = Date.now() + 20_000;
    while (double.droppedReplies.length === dropped && Date.now() < dropDeadline) await delay(10);
    t.equal(double.droppedReplies.length, dropped + 1, 'an append under load lost its reply');
    await progress(40);
    state.done = true;
    await clients;
    t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200, '/ready once the load is over');

    t.comment(JSON.stringify(Object.fromEntries(answers)));
    t.equal(state.unexpected, 0, 'every answer was 201, 200 or a 503 fault problem');
    t.ok(state.slowest < ANSWERED_WITHIN_MS, `every request answered within the bound (slowest ${state.slowest} ms)`);
    t.ok(
      (answers.get('down: 503 store-unavailable') ?? 0) > 0,
      'while down, clients are told the store is unavailable',
    );
    t.ok((answers.get('reply lost: 503 append-outcome-unknown') ?? 0) > 0, 'a lost reply is an unknown outcome');
    t.ok((answers.get('reply lost: 200') ?? 0) > 0, 'whose retry is answered as a replay');

    const fresh = donation('us-inl', 'mss', [line('rounds', 7)]);
    t.equal((await post(app, fresh)).statusCode, 201, 'a new post afterwards succeeds, no restart needed');
    acknowledged.add(fresh.id!);

    const copies = copiesOf(double);
    t.same(
      [...acknowledged].filter((id) => !copies.has(id)),
      [],
      `all ${acknowledged.size} acknowledged events are stored`,
    );
    t.same(
      [...copies].filter(([, n]) => n > 1),
      [],
      'none is stored twice',
    );
    const worldIds = copies.size - acknowledged.size;
    t.equal(worldIds, world().length, 'and nothing is stored that no client was told of, but for the setup');
    const readBack = await app.inject({ method: 'GET', url: `/v1/events?limit=1000`, headers: bearer('auditor') });
    const ids = new Set(readBack.json<{ events: { id: string }[] }>().events.map((e) => e.id));
    t.same(
      [...acknowledged].filter((id) => !ids.has(id)),
      [],
      'every acknowledged event is read back through the API',
    );
  },
);

t.test('a commit whose reply is lost is 503 append-outcome-unknown; the retry is 200 replayed', async (t) => {
  const double = await startEventStoreDbDouble();
  t.teardown(() => double.close());
  const { app } = await serviceOn(t, double);
  t.equal((await post(app, world())).statusCode, 201);

  const gift = donation('us-inl', 'mss', [line('rifle', 40)]);
  double.dropNextAppendReply();
  const lost = await post(app, gift);
  t.equal(lost.statusCode, 503);
  t.equal(checkFault(t, lost, ['append-outcome-unknown']), 'append-outcome-unknown');
  t.match(lost.json().detail, /retry with the same event ids/i, 'the detail says how to retry');
  t.same(double.droppedReplies.at(-1)?.ids, [gift.id], 'the event was stored');

  const retry = await post(app, gift);
  t.equal(retry.statusCode, 200, 'the retry is answered 200');
  t.equal(retry.json().replayed, true, 'as a replay');
  t.equal(retry.json().events[0].id, gift.id);
  t.equal(copiesOf(double).get(gift.id!), 1, 'stored once');

  const next = await post(app, donation('us-inl', 'mss', [line('rifle', 2)]));
  t.equal(next.statusCode, 201, 'the ledger goes on');
});

t.test('a node that is down when the service starts: it keeps trying, and serves once the node is up', async (t) => {
  const double = await startEventStoreDbDouble();
  t.teardown(() => double.close());
  await double.stop();
  const attempts: string[] = [];
  const opening = connectWithRetry(
    () => openEventStoreDbStore(storeOptions(double)),
    20_000,
    (attempt, fault) => void attempts.push(`${attempt}: ${fault.fault}`),
  );
  await delay(1200);
  t.ok(attempts.length >= 2, `it tried again (${attempts.length} attempts while down)`);
  t.match(attempts[0], /store-unavailable/);
  await double.start();
  const store = await opening;
  const ledger = await startLedger(store, { storeTimeoutMs: STORE_TIMEOUT_MS });
  const app = await buildApp(ledger, { auth: testKeyRing(), rateLimitPerMinute: 1_000_000 });
  t.teardown(async () => {
    await app.close();
    await ledger.close();
  });
  t.equal((await post(app, world())).statusCode, 201, 'and records');
  const gifts = Array.from({ length: CLIENTS }, (_, i) => donation('us-inl', 'mss', [line('rounds', 1 + i)]));
  const answers = await Promise.all(gifts.map((gift) => post(app, gift)));
  t.same(
    answers.map((a) => a.statusCode),
    gifts.map(() => 201),
    `${CLIENTS} clients at once, all recorded`,
  );
  const copies = copiesOf(double);
  t.same(
    gifts.filter((g) => copies.get(g.id!) !== 1),
    [],
    'each stored once',
  );
});

t.test('no promise was left unhandled', async (t) => {
  await delay(50);
  t.same(unhandled, []);
});
