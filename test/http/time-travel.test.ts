/**
 * Time travel, stated as facts from the articles, and the two questions an
 * auditor asks: what was true on T (asOf), and what did the ledger say on K
 * (knownAt).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SEED_IDS } from '../../seeds/mission-history.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { seedMissionHistory, startLedger } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { donation, line, reversal } from '../support/fixtures.js';
import { bearer, testKeyRing, testLedger } from '../support/ledger.js';

const get = async (app: FastifyInstance, url: string) => {
  const response = await app.inject({ method: 'GET', headers: bearer('auditor'), url });
  if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
  return response.json();
};

type Holding = { holder: string; items: { itemType: string; quantity: number; exact: boolean }[] };
const held = (view: { holders: Holding[] }, holder: string, itemType: string) =>
  view.holders.find((h) => h.holder === holder)?.items.find((i) => i.itemType === itemType);

t.test('the seeded history, as of dates the articles give', async (t) => {
  const { app } = await testLedger(t, { seed: true });

  t.test('the US handover of February 2025 (000)', async (t) => {
    const before = await get(app, '/v1/inventory?asOf=2025-02-09');
    t.equal(held(before, 'mss', 'firearm-assorted'), undefined, 'on 9 February the mission held none of those guns');
    const after = await get(app, '/v1/inventory?asOf=2025-02-10');
    t.match(held(after, 'mss', 'firearm-assorted'), { quantity: 600, exact: false }, 'from 10 February, at least 600');
    t.equal(after.asOf, '2025-02-10T23:59:59.999Z', 'a bare date means the end of that day');
  });

  t.test('personnel between the contingents (001, 003)', async (t) => {
    const kenya = async (date: string) =>
      (await get(app, `/v1/personnel?asOf=${date}`)).byCountry.find((r: { country: string }) => r.country === 'kenya')
        ?.deployed ?? 0;
    t.equal(await kenya('2023-12-01'), 0, 'the misdated "November 2023" arrival is reversed: nobody was there');
    t.equal(await kenya('2024-06-29'), 0, 'before the end of June 2024, no arrival is certain');
    t.equal(await kenya('2024-07-15'), 200, 'after the first contingent: 200');
    t.equal(await kenya('2024-11-08'), 400, 'after the second: 400');
  });

  t.test('the Tabarre seizure (000) appears with the seizing party from its date', async (t) => {
    const before = await get(app, '/v1/inventory?asOf=2025-02-07');
    t.equal(held(before, 'hnp-mss-joint-operation', 'handgun'), undefined);
    const after = await get(app, '/v1/inventory?asOf=2025-02-11');
    t.match(held(after, 'hnp-mss-joint-operation', 'handgun'), { quantity: 15, exact: true });
    t.match(held(after, 'hnp-mss-joint-operation', 'radio'), { quantity: 12 });
  });

  t.test('donors: what the US pledged and delivered', async (t) => {
    const donors = await get(app, '/v1/donors');
    const us = donors.donors.find((d: { donor: string }) => d.donor === 'us-government');
    const funds = us.byCategory.find((c: { category: string }) => c.category === 'funds');
    t.equal(funds.measures.pledged.quantity, 360_000_000, '$300M for the mission and $60M for equipment (004)');
    t.equal(funds.measures.delivered.quantity, 0, 'pledges are not deliveries');
    const guns = us.byCategory.find((c: { category: string }) => c.category === 'firearm');
    t.match(guns.measures.delivered, { quantity: 600, exact: false });
  });

  t.test('shipments: the helicopters (000)', async (t) => {
    const list = await get(app, '/v1/shipments');
    t.ok(list.shipments.length >= 1);
    const shipment = list.shipments[0];
    t.equal(shipment.status, 'received');
    const inventory = await get(app, '/v1/inventory?holder=mss');
    t.match(held(inventory, 'mss', 'helicopter-medevac'), { quantity: 3, exact: true }, 'three medevac helicopters');
    const one = await get(app, `/v1/shipments/${shipment.shipmentId}`);
    t.same(one.shipment.lines, shipment.lines);
    t.same(
      one.shipment.events.map((e: { eventId: string; type: string }) => [e.type, e.eventId]),
      [
        ['ShipmentDispatched', SEED_IDS.helicoptersDispatched],
        ['ShipmentReceived', SEED_IDS.helicoptersReceived],
      ],
      'its events, by id, in the order they happened',
    );
    const early = await app.inject({
      method: 'GET',
      headers: bearer('auditor'),
      url: `/v1/shipments/${shipment.shipmentId}?asOf=2023-01-01`,
    });
    t.equal(early.statusCode, 404, 'not yet dispatched on that date');
    t.equal(early.json().rule, 'not-found');
  });

  t.test('timeline: the mission’s firearms by day', async (t) => {
    const timeline = await get(app, '/v1/timeline?from=2025-02-08&to=2025-02-12&category=firearm&holder=mss');
    const series = timeline.series.find((s: { holder: string }) => s.holder === 'mss');
    t.same(
      series.points.map((p: { date: string; quantity: number }) => [p.date, p.quantity]),
      [
        ['2025-02-08', 0],
        ['2025-02-09', 0],
        ['2025-02-10', 600],
        ['2025-02-11', 600],
        ['2025-02-12', 600],
      ],
    );
  });

  t.test('bad or future dates are a clear 4xx', async (t) => {
    const bad = await app.inject({ method: 'GET', headers: bearer('auditor'), url: '/v1/inventory?asOf=yesterday' });
    t.equal(bad.statusCode, 400);
    t.equal(bad.json().field, 'asOf');
    const future = await app.inject({
      method: 'GET',
      headers: bearer('auditor'),
      url: '/v1/personnel?knownAt=2999-01-01',
    });
    t.equal(future.statusCode, 400);
    t.equal(future.json().rule, 'query-date-in-future');
    t.equal(future.json().field, 'knownAt');
  });
});

t.test('bitemporal: backdated events and late reversals', async (t) => {
  // A store whose clock the test moves: recordedAt is what knownAt looks at.
  let now = Date.parse('2025-03-01T12:00:00Z');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-bitemporal-'));
  const store = openSqliteStore({ file: path.join(dir, 'ledger.sqlite'), clock: () => new Date(now) });
  const ledger = await startLedger(store);
  await seedMissionHistory(ledger);
  const app = await buildApp(ledger, { auth: testKeyRing() });
  t.teardown(async () => {
    await app.close();
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const post = async (body: object) => {
    const response = await app.inject({
      method: 'POST',
      headers: bearer('recorder'),
      url: '/v1/events',
      payload: body,
    });
    t.equal(response.statusCode, 201, response.body);
    await ledger.projector.waitFor(response.json().position, 2000);
  };
  const radios = async (query: string) => held(await get(app, `/v1/inventory?${query}`), 'hnp', 'radio')?.quantity ?? 0;

  // On 1 March we learn of a delivery of 40 radios to the police that happened on 1 January.
  now = Date.parse('2025-03-01T12:00:00Z');
  const late = donation('us-inl', 'hnp', [line('radio', 40)], '2025-01-01');
  await post(late);
  now = Date.parse('2025-04-01T12:00:00Z');
  await post(reversal(late.id ?? '', '2025-04-01'));

  t.equal(
    await radios('asOf=2025-01-15&knownAt=2025-03-15'),
    40,
    'in mid-March the ledger said: 40 radios as of mid-January',
  );
  t.equal(await radios('asOf=2025-01-15&knownAt=2025-02-15'), 0, 'in mid-February it did not know of them yet');
  t.equal(await radios('asOf=2024-12-31&knownAt=2025-03-15'), 0, 'and never before they were delivered');
  t.equal(await radios('asOf=2025-01-15'), 0, 'known now: the delivery was reversed, for every date');
  t.equal(await radios('knownAt=2025-03-15'), 40, 'the reversal recorded in April is invisible to a March knownAt');
  t.equal(await radios(''), 0);
  const answer = await get(app, '/v1/inventory?asOf=2025-01-15&knownAt=2025-03-15');
  t.equal(answer.knownAt, '2025-03-15T23:59:59.999Z');
  t.ok(answer.position < ledger.projector.state.position, 'says which (earlier) position it reflects');
});
