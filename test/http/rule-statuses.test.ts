/**
 * What a recorder sees over HTTP for every rule: the status the README's
 * rules table documents, the problem type naming the rule, and a store left
 * untouched. Also the batch-size limit, and departures end to end.
 */
import t from 'tap';
import type { IncomingEvent } from '../../events/index.js';
import { RULES, type RuleName } from '../../src/ledger/rules.js';
import {
  close,
  departed,
  deployed,
  dispatch,
  donation,
  itemType,
  line,
  newId,
  party,
  receipt,
  reversal,
  transfer,
  world,
} from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';

/** The statuses as documented (README, "The rules"); written out, not read from RULES, so a changed status fails. */
const DOCUMENTED: Record<RuleName, number> = {
  'schema-invalid': 400,
  'event-type-unknown': 400,
  'occurred-at-in-future': 422,
  'occurred-from-in-future': 422,
  'occurred-from-after-occurred-at': 422,
  'occurred-before-earliest-date': 422,
  'ledger-total-unsafe': 422,
  'party-unknown': 422,
  'party-already-registered': 409,
  'item-type-unknown': 422,
  'item-type-already-registered': 409,
  'holder-stock-insufficient': 409,
  'contingent-headcount-insufficient': 409,
  'serial-not-held': 409,
  'serial-already-held': 409,
  'shipment-unknown': 422,
  'shipment-already-exists': 409,
  'shipment-closed': 409,
  'receipt-exceeds-dispatch': 409,
  'receipt-item-not-dispatched': 422,
  'shipment-has-receipts': 409,
  'reversal-target-unknown': 422,
  'reversal-already-reversed': 409,
  'reversal-of-reversal': 422,
  'reversal-not-supported': 422,
  'idempotency-conflict': 409,
  'query-date-in-future': 400,
  'not-found': 404,
  'expected-revision-mismatch': 412,
};

t.test('every rule answers its documented status, as a problem naming the rule, and stores nothing', async (t) => {
  const { inject, store } = await testLedger(t);
  const registrations = world();
  const gift = donation('us-inl', 'mss', [line('rifle', 10), line('rifle', 1, ['AK-1'])]);
  const rounds = donation('us-inl', 'mss', [line('rounds', 100)]);
  const roundsBack = reversal(rounds.id ?? '');
  const sent = dispatch('s1', 'us-inl', 'mss', [line('apc', 2)]);
  const history: IncomingEvent[] = [
    ...registrations,
    gift,
    transfer('mss', 'hnp', [line('rifle', 2)]),
    rounds,
    roundsBack,
    sent,
    receipt('s1', [line('apc', 1)]),
    dispatch('s2', 'us-inl', 'mss', [line('apc', 1)]),
    close('s2'),
    deployed('kenya', 10),
  ];
  const setup = await inject('recorder', { method: 'POST', url: '/v1/events', payload: history });
  t.equal(setup.statusCode, 201, 'the history is recorded');

  const worldId = registrations[0]?.id ?? '';
  const unknownId = newId();
  /** Each refusal names the field, gives the facts behind it (context), and says them in words (detail). */
  type Expected = { field?: string; context?: object; detail?: RegExp; headers?: Record<string, string> };
  const posts: [RuleName, unknown, Expected][] = [
    ['schema-invalid', transfer('mss', 'hnp', [line('rifle', -1)]), { field: 'data.lines[0].quantity.value' }],
    [
      'event-type-unknown',
      { ...transfer('mss', 'hnp', [line('rifle', 1)]), type: 'MaterielTeleported' },
      { field: 'type', detail: /type/ },
    ],
    [
      'occurred-at-in-future',
      donation('us-inl', 'mss', [line('rifle', 1)], '2999-01-01'),
      { field: 'occurredAt', context: { occurredAt: /^2999-01-01/, now: /^20/ }, detail: /2999-01-01.*after now/ },
    ],
    [
      'occurred-from-in-future',
      { ...donation('us-inl', 'mss', [line('rifle', 1)], '2025-05-23'), occurredFrom: '2999-01-01' },
      { field: 'occurredFrom', context: { occurredFrom: /^2999-01-01/ }, detail: /after now/ },
    ],
    [
      'occurred-from-after-occurred-at',
      { ...donation('us-inl', 'mss', [line('rifle', 1)], '2025-05-23'), occurredFrom: '2025-06-01' },
      { field: 'occurredFrom', detail: /the range ends before it starts/ },
    ],
    [
      'occurred-before-earliest-date',
      donation('us-inl', 'mss', [line('rifle', 1)], '1899-12-31'),
      { field: 'occurredAt', detail: /before 1900/ },
    ],
    [
      'party-unknown',
      transfer('mss', 'nobody', [line('rifle', 1)]),
      { field: 'data.to', context: { partyId: 'nobody' }, detail: /nobody is not registered/ },
    ],
    [
      'party-already-registered',
      party('mss', 'mission'),
      { field: 'data.partyId', context: { partyId: 'mss' }, detail: /mss is already registered/ },
    ],
    [
      'item-type-unknown',
      donation('us-inl', 'mss', [line('tank', 1)]),
      { field: 'data.lines[0].itemType', context: { itemType: 'tank' }, detail: /tank is not in the catalogue/ },
    ],
    [
      'item-type-already-registered',
      itemType('rifle', 'firearm'),
      { field: 'data.itemType', context: { itemType: 'rifle' }, detail: /rifle is already in the catalogue/ },
    ],
    [
      'holder-stock-insufficient',
      transfer('mss', 'hnp', [line('rifle', 100)]),
      {
        field: 'data.lines[0].quantity.value',
        context: { holder: 'mss', itemType: 'rifle', asked: 100, onHand: 9 },
        detail: /mss has 9 rifle on hand, 100 asked/,
      },
    ],
    [
      'contingent-headcount-insufficient',
      departed('kenya', 11),
      {
        field: 'data.count.value',
        context: { country: 'kenya', role: 'police', deployed: 10, departing: 11 },
        detail: /10 police from kenya are deployed, 11 would depart/,
      },
    ],
    [
      'serial-not-held',
      transfer('hnp', 'mss', [line('rifle', 1, ['AK-1'])]),
      {
        field: 'data.lines[0].serials',
        context: { serial: 'AK-1', heldBy: 'mss', movedFrom: 'hnp' },
        detail: /AK-1 is held by mss, not hnp/,
      },
    ],
    [
      'serial-already-held',
      donation('us-inl', 'hnp', [line('rifle', 1, ['AK-1'])]),
      { field: 'data.lines[0].serials', context: { serial: 'AK-1', heldBy: 'mss', movedFrom: 'us-inl' } },
    ],
    [
      'shipment-unknown',
      receipt('nope', [line('apc', 1)]),
      { field: 'data.shipmentId', context: { shipmentId: 'nope' }, detail: /no shipment nope/ },
    ],
    [
      'shipment-already-exists',
      dispatch('s1', 'us-inl', 'mss', [line('apc', 1)]),
      { field: 'data.shipmentId', context: { shipmentId: 's1' }, detail: /s1 was already dispatched/ },
    ],
    [
      'shipment-closed',
      receipt('s2', [line('apc', 1)]),
      { field: 'data.shipmentId', context: { shipmentId: 's2' }, detail: /s2 is closed/ },
    ],
    [
      'receipt-exceeds-dispatch',
      receipt('s1', [line('apc', 2)]),
      {
        field: 'data.lines[0].quantity.value',
        context: { shipmentId: 's1', itemType: 'apc', dispatched: 2, alreadyReceived: 1, asked: 2 },
        detail: /s1 has 1 apc still to arrive, the receipt says 2/,
      },
    ],
    [
      'receipt-item-not-dispatched',
      receipt('s1', [line('rifle', 1)]),
      {
        field: 'data.lines[0].itemType',
        context: { shipmentId: 's1', itemType: 'rifle' },
        detail: /s1 carried no rifle/,
      },
    ],
    [
      'shipment-has-receipts',
      reversal(sent.id ?? ''),
      { field: 'data.eventId', context: { eventId: sent.id, shipmentId: 's1' }, detail: /s1 has receipts/ },
    ],
    [
      'reversal-target-unknown',
      reversal(unknownId),
      { field: 'data.eventId', context: { eventId: unknownId }, detail: new RegExp(`no event ${unknownId}`) },
    ],
    [
      'reversal-already-reversed',
      reversal(rounds.id ?? ''),
      { field: 'data.eventId', context: { eventId: rounds.id }, detail: /was already reversed/ },
    ],
    [
      'reversal-of-reversal',
      reversal(roundsBack.id ?? ''),
      { field: 'data.eventId', context: { eventId: roundsBack.id }, detail: /is itself a reversal/ },
    ],
    [
      'reversal-not-supported',
      reversal(worldId),
      { field: 'data.eventId', context: { eventId: worldId }, detail: /a PartyRegistered cannot be reversed/ },
    ],
    [
      'idempotency-conflict',
      { ...gift, data: { ...gift.data, recipient: 'hnp' } },
      { field: 'id', context: { eventId: gift.id, position: registrations.length + 1 }, detail: /different content/ },
    ],
    [
      'expected-revision-mismatch',
      donation('us-inl', 'mss', [line('rifle', 1)]),
      {
        headers: { 'if-match': '"0"' },
        context: { expectedRevision: 0, currentRevision: history.length - 1 },
        detail: new RegExp(`at revision ${history.length - 1}, not 0`),
      },
    ],
  ];
  const gets: [RuleName, string][] = [
    ['query-date-in-future', '/v1/inventory?asOf=2999-01-01'],
    ['not-found', '/v1/shipments/nope'],
  ];
  // Reaching 2^53 takes thousands of lines: test/http/limits.test.ts posts them and checks the 422 over HTTP.
  const coveredElsewhere: RuleName[] = ['ledger-total-unsafe'];
  const covered = new Set([...posts.map(([rule]) => rule), ...gets.map(([rule]) => rule), ...coveredElsewhere]);
  t.same(
    Object.keys(RULES).filter((rule) => !covered.has(rule as RuleName)),
    [],
    'every rule in src/ledger/rules.ts has a case here',
  );

  const head = await store.headPosition();
  for (const [rule, body, expected] of posts) {
    const { headers, ...said } = expected;
    const response = await inject('recorder', { method: 'POST', url: '/v1/events', payload: body as object, headers });
    t.equal(response.statusCode, DOCUMENTED[rule], `${rule}: ${DOCUMENTED[rule]}`);
    t.match(response.headers['content-type'], /^application\/problem\+json/, `${rule}: problem details`);
    const problem = response.json();
    t.equal(problem.type, `urn:mss-ledger:rule:${rule}`, `${rule}: the problem type names the rule`);
    t.match(problem, said, `${rule}: names the field, the facts and says them`);
  }
  t.equal(await store.headPosition(), head, 'no refused post stored anything');
  for (const [rule, url] of gets) {
    const response = await inject('auditor', { method: 'GET', url });
    t.equal(response.statusCode, DOCUMENTED[rule], `${rule}: ${DOCUMENTED[rule]}`);
    t.equal(response.json().type, `urn:mss-ledger:rule:${rule}`, `${rule}: the problem type names the rule`);
  }
});

t.test('a batch holds up to 1,000 events: 1,000 are recorded, 1,001 are a 400 and nothing is stored', async (t) => {
  const { inject, store } = await testLedger(t);
  t.equal((await inject('recorder', { method: 'POST', url: '/v1/events', payload: world() })).statusCode, 201);
  const gifts = (n: number) => Array.from({ length: n }, () => donation('us-inl', 'mss', [line('rounds', 1)]));
  const head = await store.headPosition();
  const tooMany = await inject('recorder', { method: 'POST', url: '/v1/events', payload: gifts(1001) });
  t.equal(tooMany.statusCode, 400);
  t.equal(tooMany.json().type, 'urn:mss-ledger:rule:schema-invalid');
  t.equal(await store.headPosition(), head, 'nothing stored');
  const full = await inject('recorder', { method: 'POST', url: '/v1/events', payload: gifts(1000) });
  t.equal(full.statusCode, 201);
  t.equal(full.json().events?.length, 1000);
  t.equal(await store.headPosition(), head + 1000, 'all of them stored');
});

t.test('departures over HTTP: they lower the headcount, count as departed, and cannot exceed it', async (t) => {
  const { inject } = await testLedger(t);
  const post = (payload: unknown) =>
    inject('recorder', { method: 'POST', url: '/v1/events', payload: payload as object });
  t.equal((await post([deployed('kenya', 200), deployed('jamaica', 24), departed('kenya', 50)])).statusCode, 201);
  const view = (await inject('viewer', { method: 'GET', url: '/v1/personnel' })).json();
  t.equal(view.deployed, 174, '200 + 24 arrived, 50 left');
  t.match(view.byCountry, [
    { country: 'jamaica', deployed: 24, arrived: 24, departed: 0 },
    { country: 'kenya', deployed: 150, arrived: 200, departed: 50 },
  ]);
  const tooMany = await post(departed('kenya', 151));
  t.equal(tooMany.statusCode, 409);
  t.equal(tooMany.json().type, 'urn:mss-ledger:rule:contingent-headcount-insufficient');
  t.equal((await post(departed('kenya', 150))).statusCode, 201, 'all who remain may leave');
});
