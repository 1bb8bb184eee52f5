/**
 * What the writer answers a refused batch, word for word where a client or an operator reads it:
 * the revision it expected and the one the ledger is at; the position of an id recorded with other
 * content; and a batch of one event named without a batch index. (Mutation testing found these
 * answers held by no test: test/mutation/README.md.)
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { toProposal } from '../../src/http/routes/events.js';
import { RejectionError } from '../../src/ledger/rules.js';
import type { LedgerWriter } from '../../src/ledger/writer.js';
import { donation, line, world } from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';

const submit = (writer: LedgerWriter, events: IncomingEvent[], expectedRevision?: number) =>
  writer.submit({
    proposals: events.map(toProposal),
    recordedBy: 'test',
    ...(expectedRevision === undefined ? {} : { expectedRevision }),
  });
const refusal = async (answer: Promise<unknown>) => {
  const error = await answer.catch((e: unknown) => e);
  if (!(error instanceof RejectionError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error.rejection;
};

t.test('a stale If-Match: the answer names both revisions', async (t) => {
  const { ledger } = await testLedger(t);
  await submit(ledger.writer, world());
  const revision = ledger.writer.book.revision!;
  const rejection = await refusal(
    submit(ledger.writer, [donation('us-inl', 'mss', [line('rounds', 1)])], revision - 2),
  );
  t.equal(rejection.rule, 'expected-revision-mismatch');
  t.equal(
    rejection.detail,
    `the ledger is at revision ${revision}, not ${revision - 2}: read what was recorded since, decide again`,
  );
  t.same(rejection.context, { expectedRevision: revision - 2, currentRevision: revision });
});

t.test('an id recorded with other content: the answer names the id and where it was recorded', async (t) => {
  const { ledger, store } = await testLedger(t);
  await submit(ledger.writer, world());
  const gift = donation('us-inl', 'mss', [line('rounds', 1)]);
  const [stored] = (await submit(ledger.writer, [gift])).events;
  const changed = { ...gift, data: { ...gift.data, lines: [line('rounds', 2)] } } as IncomingEvent;
  const rejection = await refusal(submit(ledger.writer, [changed]));
  t.match(rejection, {
    rule: 'idempotency-conflict',
    field: 'id',
    detail: `event ${gift.id} was recorded at position ${stored!.globalPosition} with different content`,
  });
  t.same(rejection.context, { eventId: gift.id, position: stored!.globalPosition }, 'no batch index for one event');
  t.equal(await store.headPosition(), stored!.globalPosition, 'nothing stored');
});

t.test('a batch of one refused by a rule: the field is the event’s own, without a batch index', async (t) => {
  const { ledger } = await testLedger(t);
  await submit(ledger.writer, world());
  const rejection = await refusal(
    submit(ledger.writer, [donation('us-inl', 'nobody-registered', [line('rounds', 1)])]),
  );
  t.notOk(rejection.field?.startsWith('['), `field ${rejection.field}`);
  t.equal(rejection.context?.batchIndex, undefined);
});

t.test('a batch refused at its second event: the field and the context name the index', async (t) => {
  const { ledger } = await testLedger(t);
  await submit(ledger.writer, world());
  const rejection = await refusal(
    submit(ledger.writer, [
      donation('us-inl', 'mss', [line('rounds', 1)]),
      donation('us-inl', 'nobody-registered', [line('rounds', 1)]),
    ]),
  );
  t.equal(rejection.rule, 'party-unknown');
  t.equal(rejection.field, '[1].data.recipient');
  t.equal(rejection.context?.batchIndex, 1);
  t.equal(rejection.context?.partyId, 'nobody-registered', 'the rule’s own context is kept');
});

t.test('a batch mixing a recorded id with new ones: the answer names the new one and its index', async (t) => {
  const { ledger } = await testLedger(t);
  await submit(ledger.writer, world());
  const gift = donation('us-inl', 'mss', [line('rounds', 1)]);
  await submit(ledger.writer, [gift]);
  const fresh = donation('us-inl', 'mss', [line('rounds', 2)]);
  const rejection = await refusal(submit(ledger.writer, [gift, fresh]));
  t.match(rejection, {
    rule: 'idempotency-conflict',
    field: '[1].id',
    detail: `the batch mixes recorded and new event ids; event ${fresh.id} is new`,
  });
  t.same(rejection.context, { eventId: fresh.id, batchIndex: 1 }, 'no position: the new event has none');
});
