/**
 * The date and number limits as a recorder meets them over HTTP, with the
 * inputs that were accepted before: a range ending before it starts and
 * reaching into year 9999, a year-0 date, and donations of 10^12-unit lines
 * until the totals passed 2^53. Each is a 422 problem naming the rule and the
 * field, nothing is stored, and every total stays exact.
 */
import t from 'tap';
import { donation, itemType, line, transfer, world } from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';

t.test('impossible dates are refused with a named rule', async (t) => {
  const { store, inject } = await testLedger(t);
  await inject('recorder', { method: 'POST', url: '/v1/events', payload: world() });
  const before = await store.headPosition();
  const post = (payload: object) => inject('recorder', { method: 'POST', url: '/v1/events', payload });

  const range = await post({
    ...donation('us-inl', 'mss', [line('rifle', 1)], '2025-05-23'),
    occurredPrecision: 'range',
    occurredFrom: '9999-12-31',
  });
  t.equal(range.statusCode, 422);
  t.match(range.headers['content-type'], /^application\/problem\+json/);
  t.match(range.json(), { type: 'urn:mss-ledger:rule:occurred-from-in-future', field: 'occurredFrom' });

  const backwards = await post({
    ...donation('us-inl', 'mss', [line('rifle', 1)], '2025-05-23'),
    occurredPrecision: 'range',
    occurredFrom: '2025-06-01',
  });
  t.match(backwards.json(), {
    status: 422,
    type: 'urn:mss-ledger:rule:occurred-from-after-occurred-at',
    field: 'occurredFrom',
  });

  const yearZero = await post(donation('us-inl', 'mss', [line('rifle', 1)], '0000-01-01'));
  t.match(yearZero.json(), {
    status: 422,
    type: 'urn:mss-ledger:rule:occurred-before-earliest-date',
    field: 'occurredAt',
  });
  t.equal(await store.headPosition(), before, 'nothing stored');
});

t.test('sums past 2^53 are refused; the totals stay exact', async (t) => {
  const { store, inject } = await testLedger(t, { app: { bodyLimit: 1024 * 1024 } });
  await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: [...world(), itemType('handgun', 'firearm')],
  });
  const full = () =>
    donation(
      'us-inl',
      'mss',
      Array.from({ length: 500 }, () => line('rifle', 1e12)),
    );
  // 18 × 500 × 10^12 = 9 × 10^15: just under 2^53 - 1 (9,007,199,254,740,991).
  for (let i = 0; i < 18; i++)
    t.equal((await inject('recorder', { method: 'POST', url: '/v1/events', payload: full() })).statusCode, 201);
  const before = await store.headPosition();

  const over = await inject('recorder', { method: 'POST', url: '/v1/events', payload: full() });
  t.equal(over.statusCode, 422);
  t.match(over.json(), {
    type: 'urn:mss-ledger:rule:ledger-total-unsafe',
    field: 'data.lines[7].quantity.value',
    context: { recordedSoFar: 9e15, limit: Number.MAX_SAFE_INTEGER },
  });
  t.equal(await store.headPosition(), before, 'nothing stored');

  // What the issue saw: after the edge, three transfers of one handgun each must add exactly three.
  const handguns = donation('us-inl', 'mss', [line('handgun', 3)]);
  t.equal((await inject('recorder', { method: 'POST', url: '/v1/events', payload: handguns })).statusCode, 201);
  for (let i = 0; i < 3; i++)
    t.equal(
      (
        await inject('recorder', {
          method: 'POST',
          url: '/v1/events',
          payload: transfer('mss', 'hnp', [line('handgun', 1)]),
        })
      ).statusCode,
      201,
    );
  const inventory = await inject('viewer', { method: 'GET', url: `/v1/inventory?minPosition=${before + 4}` });
  const firearms = (inventory.json() as { totals: { category: string; onHand: number }[] }).totals.find(
    (total) => total.category === 'firearm',
  );
  t.equal(firearms?.onHand, 9e15 + 3, 'the category total is exact: 9 × 10^15 rifles and 3 handguns');
  t.ok(Number.isSafeInteger(firearms?.onHand), 'and a safe integer');
});
