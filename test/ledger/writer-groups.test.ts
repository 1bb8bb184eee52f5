/**
 * How the writer groups requests into appends, and what each request is
 * answered when the append of its group fails: the bound on a group, a batch
 * that mixes recorded and new ids, a retry stored by another replica in
 * between, and a store that fails.
 */
import t, { type Test } from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import { onHand } from '../../src/ledger/book.js';
import { RejectionError } from '../../src/ledger/rules.js';
import { LedgerWriter, type WriterOptions } from '../../src/ledger/writer.js';
import type { EventStore, EventToAppend } from '../../src/store/port.js';
import { donation, line, world } from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';

const submit = (writer: LedgerWriter, events: IncomingEvent[]) =>
  writer.submit({ proposals: events.map(toProposal), recordedBy: 'test' });

/** The store, with its appends watched (and, when asked, something done before one). */
function watched(store: EventStore, before?: (events: EventToAppend[], call: number) => Promise<void>) {
  const appends: number[] = [];
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      if (key !== 'append') return Reflect.get(target, key, receiver) as unknown;
      return async (stream: string, events: EventToAppend[], expected: Parameters<EventStore['append']>[2]) => {
        appends.push(events.length);
        await before?.(events, appends.length);
        return target.append(stream, events, expected);
      };
    },
  });
  return { store: proxy, appends };
}

const gifts = (n: number) => Array.from({ length: n }, () => donation('us-inl', 'mss', [line('rounds', 1)]));

/** A writer with `options` on a test ledger holding the world, its appends watched. */
async function watchedWriter(t: Test, options: WriterOptions) {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, world());
  const { store: spied, appends } = watched(store);
  const writer = new LedgerWriter(spied, options);
  await writer.start();
  t.teardown(() => writer.close());
  return { writer, appends };
}

t.test('a group holds at most maxGroupEvents: a long queue is stored in several appends, all of it', async (t) => {
  const { writer, appends } = await watchedWriter(t, { maxGroupEvents: 4 });
  const results = await Promise.all([1, 2, 2, 3, 2, 5].map((n) => submit(writer, gifts(n))));
  t.same(
    results.map((r) => r.events.length),
    [1, 2, 2, 3, 2, 5],
    'every batch recorded whole',
  );
  // The first batch goes alone (nothing else queued yet); then 2+2 fill a group exactly; 3 and 2 would
  // make 5, so 2 waits; 5 goes alone: a batch is never split.
  t.same(appends, [1, 4, 3, 2, 5], 'groups of at most 4 events, or one larger batch alone');
  t.equal(onHand(writer.book, 'mss', 'rounds'), 15);
});

t.test('a batch that mixes recorded and new ids is an idempotency conflict naming the new one', async (t) => {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, world());
  const recorded = donation('us-inl', 'mss', [line('rounds', 1)]);
  await submit(ledger.writer, [recorded]);
  const head = await store.headPosition();
  const fresh = donation('us-inl', 'mss', [line('rounds', 2)]);
  const error = await submit(ledger.writer, [recorded, fresh]).catch((e: unknown) => e);
  t.type(error, RejectionError);
  t.match((error as RejectionError).rejection, {
    rule: 'idempotency-conflict',
    field: '[1].id',
    detail: /mixes recorded and new event ids/,
    context: { eventId: fresh.id, batchIndex: 1 },
  });
  t.equal(await store.headPosition(), head, 'nothing stored');
});

t.test('an id stored by another replica between decision and append: decided again, then refused', async (t) => {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, world());
  const gift = donation('us-inl', 'mss', [line('rounds', 3)]);
  const other = toProposal(donation('us-inl', 'hnp', [line('rounds', 4)]));
  // Another replica records the same id with other content just before our append lands.
  const { store: racing } = watched(store, async (events, call) => {
    if (call === 1) await store.append('ledger', [{ ...events[0]!, data: other.data }], 'any');
  });
  const writer = new LedgerWriter(racing);
  await writer.start();
  t.teardown(() => writer.close());
  const error = await submit(writer, [gift]).catch((e: unknown) => e);
  t.type(error, RejectionError, 'answered by the rule, not with the store error');
  t.equal((error as RejectionError).rejection.rule, 'idempotency-conflict');
});

t.test('a store that fails an append fails every request of the group, and the book forgets them', async (t) => {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, world());
  const { store: failing } = watched(store, async (_events, call) => {
    if (call === 2) throw new Error('disk full');
  });
  const writer = new LedgerWriter(failing);
  await writer.start();
  t.teardown(() => writer.close());
  // The first lands alone; the next two queue behind it, form the second group, and meet the failure.
  const outcomes = await Promise.allSettled([
    submit(writer, gifts(1)),
    submit(writer, gifts(2)),
    submit(writer, gifts(3)),
  ]);
  t.same(
    outcomes.map((o) => o.status),
    ['fulfilled', 'rejected', 'rejected'],
  );
  for (const o of outcomes.slice(1))
    t.match((o as PromiseRejectedResult).reason, { message: 'disk full' }, 'the store error, as it was');
  t.equal(onHand(writer.book, 'mss', 'rounds'), 1, 'the book holds only what was stored');
  await submit(writer, gifts(2));
  t.equal(onHand(writer.book, 'mss', 'rounds'), 3, 'and the writer goes on');
});

/** One turn of the event loop: what a client answered by the last commit takes at least to come back. */
const nextTurn = () => new Promise<void>((resume) => setImmediate(resume));

t.test('clients answered together come back together: the first back waits for the others', async (t) => {
  // A long allowance: the wait must end because the others arrived, not because time ran out.
  const { writer, appends } = await watchedWriter(t, { gatherMs: 60_000 });
  await Promise.all(Array.from({ length: 11 }, () => submit(writer, gifts(1)))); // a group of 1, then one of 10
  t.same(appends, [1, 10], 'the first submission went alone, the ten that queued behind it together');

  // The ten clients come back, the first a few turns before the rest.
  const first = submit(writer, gifts(1));
  await nextTurn();
  await nextTurn();
  const rest = Array.from({ length: 4 }, () => submit(writer, gifts(1)));
  const answers = await Promise.all([first, ...rest]);
  t.same(appends, [1, 10, 5], 'the first back waited for half as many as the last group, then all went in one append');
  t.equal(new Set(answers.map((a) => a.events[0]!.globalPosition)).size, 5, 'each was answered with its own event');
});

t.test('the first back keeps waiting while the others come back one turn apart', async (t) => {
  const { writer, appends } = await watchedWriter(t, { gatherMs: 60_000 });
  await Promise.all(Array.from({ length: 11 }, () => submit(writer, gifts(1)))); // a group of 1, then one of 10
  const answers: ReturnType<typeof submit>[] = [];
  for (let i = 0; i < 5; i++) {
    answers.push(submit(writer, gifts(1)));
    await nextTurn();
  }
  await Promise.all(answers);
  t.same(appends, [1, 10, 5], 'no group of the first two: the wait ended when the fifth arrived');
});

/** A group of `size` (after a first submission alone), then one client back, and a second two turns later: the appends made. */
async function twoBackAfterAGroupOf(t: Test, size: number): Promise<number[]> {
  const { writer, appends } = await watchedWriter(t, { gatherMs: 60_000 });
  await Promise.all(Array.from({ length: size + 1 }, () => submit(writer, gifts(1))));
  const first = submit(writer, gifts(1));
  await nextTurn();
  await nextTurn();
  await Promise.all([first, submit(writer, gifts(1))]);
  return appends;
}

t.test('a group of four is large enough to wait for two of its clients back; a group of three is not', async (t) => {
  t.same(await twoBackAfterAGroupOf(t, 4), [1, 4, 2], 'after a group of 4 the first back waited for a second');
  t.same(await twoBackAfterAGroupOf(t, 3), [1, 3, 1, 1], 'after a group of 3 nobody waits: half of it is one client');
});

t.test('the first back does not wait when as many as it would wait for are there already', async (t) => {
  const { writer, appends } = await watchedWriter(t, { gatherMs: 60_000 });
  await Promise.all(Array.from({ length: 5 }, () => submit(writer, gifts(1))));
  const together = [submit(writer, gifts(1)), submit(writer, gifts(1))];
  await nextTurn();
  await nextTurn();
  await Promise.all([...together, submit(writer, gifts(1))]);
  t.same(appends, [1, 4, 2, 1], 'the two that came back together went at once; the late one after them');
});

t.test('gatherMs 0 turns gathering off: the first back goes alone, even after a large group', async (t) => {
  const { writer, appends } = await watchedWriter(t, { gatherMs: 0 });
  await Promise.all(Array.from({ length: 5 }, () => submit(writer, gifts(1))));
  const first = submit(writer, gifts(1));
  await nextTurn();
  await Promise.all([first, submit(writer, gifts(1))]);
  t.same(appends, [1, 4, 1, 1]);
});

t.test('the first back is not kept waiting past gatherMs when nobody follows', async (t) => {
  const { writer, appends } = await watchedWriter(t, { gatherMs: 5 });
  await Promise.all(Array.from({ length: 11 }, () => submit(writer, gifts(1))));
  const alone = await submit(writer, gifts(1));
  t.equal(alone.events.length, 1, 'answered');
  t.same(appends, [1, 10, 1], 'in an append of its own');
});

t.test('one client at a time is never kept waiting for others', async (t) => {
  const { writer, appends } = await watchedWriter(t, { gatherMs: 60_000 });
  for (let i = 0; i < 3; i++) await submit(writer, gifts(2));
  t.same(appends, [2, 2, 2], 'each answered in its own append, with no wait for anyone else');
});
