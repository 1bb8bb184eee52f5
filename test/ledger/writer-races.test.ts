/**
 * The writer under contention, beyond the race for one stock: two replicas
 * recording different events at once, and two batches that expect the same
 * revision in one write group. The writer's book must stay what a replay of
 * the stored log gives.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import type { Book } from '../../src/ledger/book.js';
import { RejectionError } from '../../src/ledger/rules.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import type { EventStore } from '../../src/store/port.js';
import { deployed, departed, dispatch, donation, line, receipt, transfer, world } from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';

const submit = (writer: LedgerWriter, events: IncomingEvent[], expectedRevision?: number) =>
  writer.submit({
    proposals: events.map(toProposal),
    recordedBy: 'test',
    ...(expectedRevision === undefined ? {} : { expectedRevision }),
  });

/** What the rules read from a book, in a comparable form. */
const bookFacts = (book: Book) =>
  JSON.stringify({
    position: book.position,
    revision: book.revision,
    stock: [...book.stock].map(([account, items]) => [account, [...items].sort()]).sort(),
    headcount: [...book.headcount].sort(),
    shipments: [...book.shipments].sort(),
    serials: [...book.serials].sort(),
    reversed: [...book.reversed].sort(),
  });

async function caughtUp(writer: LedgerWriter, store: EventStore) {
  const head = await store.headPosition();
  for (let i = 0; i < 200 && writer.book.position < head; i++) await new Promise((r) => setTimeout(r, 10));
  return writer.book.position === head;
}

t.test('two writers recording different events at once: every submission settles, books equal a replay', async (t) => {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, [
    ...world(),
    donation('us-inl', 'mss', [line('rifle', 300), line('rounds', 5000)]),
    deployed('kenya', 200),
  ]);
  const rival = new LedgerWriter(store);
  await rival.start();
  t.teardown(() => rival.close());

  // Each writer gets its own kind of work; some of it is refused, most of it lands.
  const mine = [
    submit(ledger.writer, [transfer('mss', 'hnp', [line('rifle', 40)])]),
    submit(ledger.writer, [dispatch('s1', 'us-inl', 'mss', [line('apc', 4)])]),
    submit(ledger.writer, [departed('kenya', 30)]),
    submit(ledger.writer, [transfer('mss', 'hnp', [line('rounds', 1000)]), transfer('mss', 'hnp', [line('rifle', 1)])]),
    submit(ledger.writer, [transfer('mss', 'hnp', [line('rifle', 10_000)])]),
  ];
  const theirs = [
    submit(rival, [donation('us-inl', 'hnp', [line('apc', 2)])]),
    submit(rival, [deployed('jamaica', 24)]),
    submit(rival, [transfer('mss', 'hnp', [line('rounds', 700)])]),
    submit(rival, [receipt('s1', [line('apc', 3)])]),
    submit(rival, [departed('jamaica', 25)]),
  ];
  const outcomes = await Promise.allSettled([...mine, ...theirs]);
  t.equal(outcomes.length, 10, 'every submission settled');
  for (const outcome of outcomes)
    if (outcome.status === 'rejected')
      t.type(outcome.reason, RejectionError, `refused by a rule, not an error: ${String(outcome.reason)}`);
  t.equal(outcomes[4]?.status, 'rejected', 'more rifles than held: refused');
  t.equal(outcomes[9]?.status, 'rejected', 'more Jamaicans than deployed: refused');
  t.equal(outcomes.slice(0, 3).filter((o) => o.status === 'fulfilled').length, 3, 'my lawful batches landed');
  t.equal(outcomes.slice(5, 7).filter((o) => o.status === 'fulfilled').length, 2, 'their lawful batches landed');

  const fresh = new LedgerWriter(store);
  await fresh.start();
  t.teardown(() => fresh.close());
  t.ok(await caughtUp(ledger.writer, store), 'the first writer caught up');
  t.ok(await caughtUp(rival, store), 'the rival caught up');
  t.equal(bookFacts(ledger.writer.book), bookFacts(fresh.book), 'the first writer’s book equals a replay');
  t.equal(bookFacts(rival.book), bookFacts(fresh.book), 'the rival’s book equals a replay');
});

t.test('two batches expecting the same revision in one write group: exactly one lands', async (t) => {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, world());
  const revision = ledger.writer.book.revision ?? -1;
  const head = await store.headPosition();
  // While the writer stores a first batch, the next two queue up and are decided as one group.
  const busy = submit(ledger.writer, [donation('us-inl', 'mss', [line('rifle', 1)])]);
  const outcomes = await Promise.allSettled([
    submit(ledger.writer, [donation('us-inl', 'mss', [line('rifle', 5)])], revision + 1),
    submit(ledger.writer, [donation('us-inl', 'mss', [line('rifle', 7)])], revision + 1),
  ]);
  await busy;
  t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'one lands');
  const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  t.match((refused?.reason as RejectionError | undefined)?.rejection, {
    rule: 'expected-revision-mismatch',
    context: { expectedRevision: revision + 1, currentRevision: revision + 2 },
  });
  t.equal(await store.headPosition(), head + 2, 'the first batch and one of the two are stored');
});
