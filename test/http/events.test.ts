/**
 * POST /v1/events and GET /v1/events through fastify.inject: what a recorder
 * sees, including every kind of bad input, which must leave the store untouched.
 */
import t, { type Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { donation, line, transfer, world, party } from '../support/fixtures.js';
import { bearer, testLedger } from '../support/ledger.js';
import type { EventStore } from '../../src/store/port.js';

const post = (app: FastifyInstance, body: unknown) =>
  app.inject({ method: 'POST', url: '/v1/events', payload: body as object, headers: bearer('recorder') });
const get = (app: FastifyInstance, url: string) => app.inject({ method: 'GET', url, headers: bearer('auditor') });

async function expectRefusedUnchanged(
  t: Test,
  app: FastifyInstance,
  store: EventStore,
  body: unknown,
  expected: { status: number; rule: string; field?: string },
) {
  const before = await store.headPosition();
  const response = await post(app, body);
  t.equal(response.statusCode, expected.status, `status ${expected.status}`);
  t.match(response.headers['content-type'], /^application\/problem\+json/, 'problem details');
  const problem = response.json();
  t.equal(problem.rule, expected.rule, `rule ${expected.rule}`);
  t.equal(problem.type, `urn:mss-ledger:rule:${expected.rule}`);
  if (expected.field !== undefined) t.equal(problem.field, expected.field, `field ${expected.field}`);
  t.equal(await store.headPosition(), before, 'the store is unchanged');
  return problem;
}

t.test('recording events', async (t) => {
  const { app, store } = await testLedger(t);
  const setup = await post(app, world());
  t.equal(setup.statusCode, 201, 'a batch is recorded');
  t.equal(setup.json().events.length, world().length);

  const gift = donation('us-inl', 'mss', [line('rifle', 600)]);
  const first = await post(app, gift);
  t.equal(first.statusCode, 201);
  const receipt = first.json();
  t.equal(receipt.replayed, false);
  t.equal(receipt.events[0].id, gift.id, 'the client id is kept');
  t.ok(receipt.position > 0, 'answers with the position');

  const retry = await post(app, gift);
  t.equal(retry.statusCode, 200, 'a retry is answered 200');
  t.same(retry.json().events, receipt.events, 'with the original positions');
  t.equal(retry.json().replayed, true, 'and says it was a replay');
  t.equal(await store.headPosition(), receipt.position, 'and stores nothing more');

  const noId = await post(app, { ...transfer('mss', 'hnp', [line('rifle', 10)]), id: undefined });
  t.equal(noId.statusCode, 201);
  t.match(noId.json().events[0].id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'the server gives a time-ordered UUIDv7');

  const log = await get(app, '/v1/events?limit=3');
  t.equal(log.statusCode, 200);
  t.equal(log.json().events.length, 3);
  t.equal(log.json().next, 3, 'cursor to the next page');
  const page2 = await get(app, '/v1/events?after=3&limit=1000');
  t.equal(page2.json().events[0].globalPosition, 4);
  t.equal(page2.json().next, null, 'the end says so');
  const donations = await get(app, '/v1/events?type=DonationReceived');
  t.equal(donations.json().events.length, 1);
  t.equal(donations.json().events[0].recordedBy, 'test-recorder', 'the principal is recordedBy');
});

t.test('bad input: a clear 4xx naming field and rule, and the store untouched', async (t) => {
  const { app, store } = await testLedger(t);
  await post(app, [...world(), donation('us-inl', 'mss', [line('rifle', 100)])]);
  const valid = transfer('mss', 'hnp', [line('rifle', 10)]);

  await expectRefusedUnchanged(
    t,
    app,
    store,
    { ...valid, data: { ...valid.data, lines: 'ten rifles' } },
    {
      status: 400,
      rule: 'schema-invalid',
      field: 'data.lines',
    },
  );
  await expectRefusedUnchanged(
    t,
    app,
    store,
    { ...valid, type: 'MaterielTeleported' },
    {
      status: 400,
      rule: 'event-type-unknown',
      field: 'type',
    },
  );
  await expectRefusedUnchanged(t, app, store, transfer('mss', 'hnp', [line('rifle', -5)]), {
    status: 400,
    rule: 'schema-invalid',
    field: 'data.lines[0].quantity.value',
  });
  await expectRefusedUnchanged(t, app, store, transfer('mss', 'hnp', [line('rifle', 2.5)]), {
    status: 400,
    rule: 'schema-invalid',
    field: 'data.lines[0].quantity.value',
  });
  const withQuantity = (quantity: object) =>
    ({
      ...transfer('mss', 'hnp', []),
      data: { from: 'mss', to: 'hnp', lines: [{ itemType: 'rifle', quantity }] },
    }) as never;
  for (const [quantity, message] of [
    [{ value: 10, precision: 'approximate', upTo: 5 }, /upTo must not be below value/],
    [{ value: 10, upTo: 20 }, /upTo is only for an inexact figure/],
    [{ value: 10, precision: 'exact', upTo: 10 }, /upTo is only for an inexact figure/],
  ] as const) {
    const refused = await expectRefusedUnchanged(t, app, store, withQuantity(quantity), {
      status: 400,
      rule: 'schema-invalid',
      field: 'data.lines[0].quantity.upTo',
    });
    t.match(refused.detail, message, `${JSON.stringify(quantity)}: ${refused.detail}`);
  }
  await expectRefusedUnchanged(
    t,
    app,
    store,
    { ...valid, data: { ...valid.data, smuggled: true } },
    {
      status: 400,
      rule: 'schema-invalid',
    },
  );
  await expectRefusedUnchanged(t, app, store, transfer('mss', "hnp'; DROP TABLE events;--", [line('rifle', 1)]), {
    status: 400,
    rule: 'schema-invalid',
    field: 'data.to',
  });
  await expectRefusedUnchanged(t, app, store, transfer('mss', 'nobody', [line('rifle', 1)]), {
    status: 422,
    rule: 'party-unknown',
    field: 'data.to',
  });
  const problem = await expectRefusedUnchanged(t, app, store, transfer('mss', 'hnp', [line('rifle', 101)]), {
    status: 409,
    rule: 'holder-stock-insufficient',
    field: 'data.lines[0].quantity.value',
  });
  t.match(
    problem.context,
    { holder: 'mss', itemType: 'rifle', asked: 101, onHand: 100 },
    'says what was asked and on hand',
  );
  await expectRefusedUnchanged(
    t,
    app,
    store,
    [party('new-donor', 'donor'), transfer('mss', 'hnp', [line('rifle', 101)])],
    {
      status: 409,
      rule: 'holder-stock-insufficient',
      field: '[1].data.lines[0].quantity.value',
    },
  );
  await expectRefusedUnchanged(t, app, store, [valid, { ...valid, type: 'Nope' }], {
    status: 400,
    rule: 'event-type-unknown',
    field: '[1].type',
  });
  await expectRefusedUnchanged(t, app, store, [], { status: 400, rule: 'schema-invalid' });
  await expectRefusedUnchanged(
    t,
    app,
    store,
    { ...valid, occurredAt: 'last tuesday' },
    {
      status: 400,
      rule: 'schema-invalid',
      field: 'occurredAt',
    },
  );
  const changed = { ...valid, data: { ...valid.data, lines: [line('rifle', 11)] } };
  t.equal((await post(app, valid)).statusCode, 201);
  await expectRefusedUnchanged(t, app, store, changed, { status: 409, rule: 'idempotency-conflict', field: 'id' });
});

t.test('malformed requests are problems, never 500s', async (t) => {
  const { app, store } = await testLedger(t);
  const before = await store.headPosition();
  const malformed = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/json', ...bearer('recorder') },
    payload: '{"type": "DonationReceived", ',
  });
  t.equal(malformed.statusCode, 400);
  t.match(malformed.headers['content-type'], /problem\+json/);
  const wrongType = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'text/plain', ...bearer('recorder') },
    payload: 'hello',
  });
  t.equal(wrongType.statusCode, 415);
  t.match(wrongType.headers['content-type'], /problem\+json/);
  const notFound = await get(app, '/v1/nothing-here');
  t.equal(notFound.statusCode, 404);
  t.match(notFound.headers['content-type'], /problem\+json/);
  const badQuery = await get(app, '/v1/events?limit=banana');
  t.equal(badQuery.statusCode, 400);
  t.equal(badQuery.json().field, 'limit');
  t.equal(await store.headPosition(), before);
});
