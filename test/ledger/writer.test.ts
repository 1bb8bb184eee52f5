/**
 * The writer on a real store: batches are all or nothing, retries never
 * duplicate, and two writers racing for the same stock never overdraw it.
 */
import t from 'tap';
import { toProposal } from '../../src/http/routes/events.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { onHand } from '../../src/ledger/book.js';
import { RejectionError } from '../../src/ledger/rules.js';
import { donation, line, transfer, world, deployed, departed } from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';
import type { IncomingEvent } from '../../events/index.js';

const submit = (writer: LedgerWriter, events: IncomingEvent[]) =>
  writer.submit({ proposals: events.map(toProposal), recordedBy: 'test' });

t.test('a batch is recorded whole, or not at all', async (t) => {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, world());
  const head = await store.headPosition();
  const error = await submit(ledger.writer, [
    donation('us-inl', 'mss', [line('rifle', 10)]),
    transfer('mss', 'hnp', [line('rifle', 11)]),
  ]).catch((e: unknown) => e);
  t.ok(error instanceof RejectionError, 'refused');
  t.equal(
    (error as RejectionError).rejection.field,
    '[1].data.lines[0].quantity.value',
    'names the event in the batch',
  );
  t.equal(await store.headPosition(), head, 'nothing was stored');
  t.equal(onHand(ledger.writer.book, 'mss', 'rifle'), 0, 'the book forgot the refused batch');
  await submit(ledger.writer, [donation('us-inl', 'mss', [line('rifle', 10)])]);
  t.equal(onHand(ledger.writer.book, 'mss', 'rifle'), 10, 'and goes on from the stored state');
});

t.test('a retried event is recorded once and answered with its original position', async (t) => {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, world());
  const gift = donation('us-inl', 'mss', [line('rifle', 10)]);
  const first = await submit(ledger.writer, [gift]);
  const again = await submit(ledger.writer, [gift]);
  t.equal(first.replayed, false);
  t.equal(again.replayed, true);
  t.equal(again.events[0]?.globalPosition, first.events[0]?.globalPosition);
  t.equal(onHand(ledger.writer.book, 'mss', 'rifle'), 10, 'counted once');
  const changed = { ...gift, data: { ...gift.data, lines: [line('rifle', 11)] } } as IncomingEvent;
  const conflict = await submit(ledger.writer, [changed]).catch((e: unknown) => e);
  t.equal((conflict as RejectionError).rejection?.rule, 'idempotency-conflict');
  t.equal(await store.headPosition(), first.events[0]?.globalPosition, 'nothing more was stored');
});

t.test('concurrent retries of one id, in the same instant, store one event', async (t) => {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, world());
  const gift = donation('us-inl', 'mss', [line('rifle', 10)]);
  const results = await Promise.all(Array.from({ length: 5 }, () => submit(ledger.writer, [gift])));
  t.equal(new Set(results.map((r) => r.events[0]?.globalPosition)).size, 1, 'every answer names the same position');
  t.equal(results.filter((r) => !r.replayed).length, 1, 'one recorded it, the others were replays');
  t.equal((await store.readAll()).filter((e) => e.id === gift.id).length, 1);
});

t.test('two writers racing for the same stock: the holder never goes negative', async (t) => {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, [...world(), donation('us-inl', 'mss', [line('rifle', 600)]), deployed('kenya', 200)]);
  // A second writer on the same store, as a second replica would be.
  const rival = new LedgerWriter(store);
  await rival.start();
  t.teardown(() => rival.close());
  const attempts = Array.from({ length: 10 }, (_, i) =>
    submit(i % 2 === 0 ? ledger.writer : rival, [transfer('mss', 'hnp', [line('rifle', 100)])]),
  );
  const departures = Array.from({ length: 6 }, (_, i) =>
    submit(i % 2 === 0 ? ledger.writer : rival, [departed('kenya', 50)]),
  );
  const outcomes = await Promise.allSettled([...attempts, ...departures]);
  const transfers = outcomes.slice(0, 10);
  t.equal(transfers.filter((o) => o.status === 'fulfilled').length, 6, 'exactly 600 rifles moved');
  t.ok(
    transfers
      .filter((o): o is PromiseRejectedResult => o.status === 'rejected')
      .every((o) => (o.reason as RejectionError).rejection.rule === 'holder-stock-insufficient'),
    'the rest were refused by the conservation rule',
  );
  t.equal(outcomes.slice(10).filter((o) => o.status === 'fulfilled').length, 4, 'exactly 200 officers departed');
  // Replay the stored log from scratch: nobody is below zero.
  const fresh = new LedgerWriter(store);
  await fresh.start();
  t.teardown(() => fresh.close());
  t.equal(onHand(fresh.book, 'mss', 'rifle'), 0);
  t.equal(onHand(fresh.book, 'hnp', 'rifle'), 600);
  t.equal(fresh.book.headcount.get('kenya/police'), 0);
});
