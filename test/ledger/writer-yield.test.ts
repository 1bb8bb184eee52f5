/**
 * A large write group hands the event loop back while it is decided, so
 * sockets keep being served. Yielding must change nothing a client sees:
 * each request still gets its own events and positions, the group is still
 * one append, and a request refused inside the group refuses only itself.
 */
import t, { type Test } from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import { onHand } from '../../src/ledger/book.js';
import { RejectionError } from '../../src/ledger/rules.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import type { EventStore, EventToAppend } from '../../src/store/port.js';
import { donation, line, transfer, world } from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';

/** Server-assigned ids (no `id`), as most clients post: the group then reads nothing before deciding. */
const withoutId = (event: IncomingEvent): IncomingEvent => ({ ...event, id: undefined });

const submit = (writer: LedgerWriter, events: IncomingEvent[]) =>
  writer.submit({ proposals: events.map(toProposal), recordedBy: 'test' });

/** The store, with the events of each append recorded. */
function watched(store: EventStore) {
  const appends: EventToAppend[][] = [];
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      if (key !== 'append') return Reflect.get(target, key, receiver) as unknown;
      return (stream: string, events: EventToAppend[], expected: Parameters<EventStore['append']>[2]) => {
        appends.push(events);
        return target.append(stream, events, expected);
      };
    },
  });
  return { store: proxy, appends };
}

/** A writer on the test ledger's store that yields after every submission it decides. */
async function yieldingWriter(t: Test) {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, [...world(), donation('us-inl', 'mss', [line('rounds', 10)])]);
  const { store: spied, appends } = watched(store);
  const writer = new LedgerWriter(spied, { yieldEveryEvents: 1 });
  await writer.start();
  t.teardown(() => writer.close());
  return { writer, store, appends };
}

t.test('a group that yields answers each request with its own events and positions, in one append', async (t) => {
  const { writer, store, appends } = await yieldingWriter(t);
  const head = await store.headPosition();
  // The first submission starts a group alone; the next five queue behind it and form the second.
  const batches = [1, 3, 1, 2, 4, 1].map((n, b) =>
    Array.from({ length: n }, (_, i) => withoutId(donation('us-inl', 'mss', [line('rounds', 100 * b + i + 1)]))),
  );
  const pending = batches.map((events) => submit(writer, events));
  // Served while the second group is decided: a callback of the event loop's next turns.
  let appendsSeenMidGroup = -1;
  const ioTurn = new Promise<void>((done) =>
    setImmediate(() =>
      setImmediate(() => {
        appendsSeenMidGroup = appends.length;
        done();
      }),
    ),
  );
  const results = await Promise.all(pending);
  await ioTurn;

  t.same(
    appends.map((a) => a.length),
    [1, 11],
    'the queued batches are still one append',
  );
  t.ok(appendsSeenMidGroup < 2, 'the event loop ran other callbacks before the group was appended');
  let expected = head;
  for (const [b, result] of results.entries()) {
    t.equal(result.events.length, batches[b]!.length, `request ${b} got as many events as it sent`);
    t.same(
      result.events.map((e) => (e.data as { lines: { quantity: { value: number } }[] }).lines[0]!.quantity.value),
      batches[b]!.map((e) => (e.data as { lines: { quantity: { value: number } }[] }).lines[0]!.quantity.value),
      `request ${b} got its own events, in its order`,
    );
    t.same(
      result.events.map((e) => e.globalPosition),
      result.events.map((_, i) => expected + i + 1),
      `request ${b} got the positions after the previous request's`,
    );
    expected += result.events.length;
  }
  const stored = await store.readAll({ after: head });
  t.same(
    stored.map((e) => e.id),
    results.flatMap((r) => r.events.map((e) => e.id)),
    'the store holds exactly the answered events, in the answered order',
  );
});

t.test('a request refused inside a yielding group refuses only itself', async (t) => {
  const { writer, store, appends } = await yieldingWriter(t);
  const head = await store.headPosition();
  const first = submit(writer, [withoutId(donation('us-inl', 'mss', [line('rounds', 1)]))]);
  // Queued together: the middle one moves more rounds than the mission holds once the first moved 8.
  const moveEight = submit(writer, [withoutId(transfer('mss', 'hnp', [line('rounds', 8)]))]);
  const tooMany = submit(writer, [withoutId(transfer('mss', 'hnp', [line('rounds', 5)]))]);
  const gift = submit(writer, [withoutId(donation('us-inl', 'mss', [line('rounds', 2)]))]);
  const outcomes = await Promise.allSettled([first, moveEight, tooMany, gift]);

  t.same(
    outcomes.map((o) => o.status),
    ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
  );
  const refused = (outcomes[2] as PromiseRejectedResult).reason as unknown;
  t.type(refused, RejectionError);
  t.equal((refused as RejectionError).rejection.rule, 'holder-stock-insufficient', 'refused by the rule');
  t.same(
    appends.map((a) => a.length),
    [1, 2],
    'the refused request was left out of its group',
  );
  const [, moved, , given] = outcomes.map((o) => (o.status === 'fulfilled' ? o.value.events : []));
  t.equal(moved![0]!.globalPosition, head + 2);
  t.equal(given![0]!.globalPosition, head + 3, 'positions close over the refused request');
  t.equal(onHand(writer.book, 'mss', 'rounds'), 10 + 1 - 8 + 2, 'the book holds only what was stored');
  t.equal(onHand(writer.book, 'hnp', 'rounds'), 8);
  t.equal(await store.headPosition(), head + 3);
});
