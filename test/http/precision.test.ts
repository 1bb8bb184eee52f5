/**
 * Every projection answer says how sure each figure is: precision and bounds on
 * the seeded history (the US handover's "at least 600 guns" and "tens of
 * bullets"), sums of mixed precisions, a reversal that restores exactness, and
 * force generation (004's pledges) beside deployments.
 */
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { SEED_IDS } from '../../seeds/mission-history.js';
import { reversal } from '../support/fixtures.js';
import { bearer, testLedger } from '../support/ledger.js';

const get = async (app: FastifyInstance, url: string) => {
  const response = await app.inject({ method: 'GET', headers: bearer('viewer'), url });
  if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
  return response.json();
};

type Item = { itemType: string; quantity: number; precision: string; lower: number | null; upper: number | null };
const held = (view: { holders: { holder: string; items: Item[] }[] }, holder: string, itemType: string) =>
  view.holders.find((h) => h.holder === holder)?.items.find((i) => i.itemType === itemType);
const totalOf = (view: { totals: { category: string }[] }, category: string) =>
  view.totals.find((x) => x.category === category) as Record<string, unknown> | undefined;

t.test('inventory: amounts and category totals carry precision and bounds', async (t) => {
  const { app } = await testLedger(t, { seed: true });
  const view = await get(app, '/v1/inventory');
  t.match(held(view, 'mss', 'firearm-assorted'), { quantity: 600, precision: 'at-least', lower: 600, upper: null });
  t.match(held(view, 'mss', 'ammunition-assorted'), {
    quantity: 20,
    precision: 'approximate',
    lower: 20,
    upper: 99,
  });
  t.match(totalOf(view, 'firearm'), {
    onHand: 615,
    onHandBounds: { precision: 'at-least', lower: 615, upper: null },
    inTransitBounds: { precision: 'exact', lower: 0, upper: 0 },
  });
  for (const holder of view.holders)
    for (const item of holder.items as Item[]) {
      t.ok(['exact', 'at-least', 'approximate', 'mixed'].includes(item.precision), `${item.itemType}: a precision`);
      if (item.precision === 'exact') t.same([item.lower, item.upper], [item.quantity, item.quantity]);
    }
});

t.test('every projection carries the fields, and the OpenAPI document describes them', async (t) => {
  const { app } = await testLedger(t, { seed: true });
  const bounds = { precision: String, lower: Number, upper: null };
  const timeline = await get(app, '/v1/timeline?from=2025-02-08&to=2025-02-12&category=firearm&holder=mss');
  t.match(timeline.series[0].points.at(-1), { quantity: 600, precision: 'at-least', lower: 600, upper: null });
  t.match(timeline.series[0].points[0], { quantity: 0, precision: 'exact', lower: 0, upper: 0 }, 'before the handover');
  const donors = await get(app, '/v1/donors');
  const us = donors.donors.find((d: { donor: string }) => d.donor === 'us-government');
  const firearms = us.byCategory.find((c: { category: string }) => c.category === 'firearm');
  t.match(firearms.measures.delivered, { quantity: 600, ...bounds });
  const shipments = await get(app, '/v1/shipments');
  for (const shipment of shipments.shipments)
    for (const line of shipment.lines) t.match(line, { dispatchedBounds: { precision: String }, receivedBounds: {} });
  const helicopters = shipments.shipments[0].lines[0];
  t.match(helicopters, { dispatched: 3, dispatchedBounds: { precision: 'exact', lower: 3, upper: 3 } });

  const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const schemas = document.components.schemas;
  t.same(schemas.Bounds.properties.precision.enum, ['exact', 'at-least', 'approximate', 'mixed']);
  t.ok(schemas.Inventory.properties.totals.items.properties.onHandBounds, 'inventory totals have bounds');
  t.ok(schemas.Personnel.properties.forceGeneration, 'personnel has force generation');
  t.ok(document.paths['/v1/events'].post.requestBody.content['application/json'].examples.PersonnelPledged);
});

t.test('a shipment line keeps the precision of what was dispatched and received', async (t) => {
  const { app, inject } = await testLedger(t, { seed: true });
  const post = async (payload: object) => {
    const response = await inject('recorder', { method: 'POST', url: '/v1/events', payload });
    t.equal(response.statusCode, 201, response.body);
  };
  await post({
    type: 'ShipmentDispatched',
    occurredAt: '2025-03-01',
    data: {
      shipmentId: 'rounds-2025-03',
      from: 'us-government',
      to: 'mss',
      lines: [{ itemType: 'ammunition-assorted', quantity: { value: 2000, precision: 'approximate', upTo: 2500 } }],
    },
  });
  await post({
    type: 'ShipmentReceived',
    occurredAt: '2025-03-05',
    data: { shipmentId: 'rounds-2025-03', lines: [{ itemType: 'ammunition-assorted', quantity: { value: 1000 } }] },
  });
  const { shipment } = await get(app, '/v1/shipments/rounds-2025-03');
  t.match(shipment.lines[0], {
    dispatched: 2000,
    received: 1000,
    dispatchedBounds: { precision: 'approximate', lower: 2000, upper: 2500 },
    receivedBounds: { precision: 'exact', lower: 1000, upper: 1000 },
  });
  const view = await get(app, '/v1/inventory');
  t.match(totalOf(view, 'ammunition'), {
    onHandBounds: { precision: 'approximate', lower: 1020, upper: 1099 },
    inTransitBounds: { precision: 'approximate', lower: 1000, upper: 1500 },
  });
});

t.test('a reversal of the inexact handover restores exact figures', async (t) => {
  const { app, inject } = await testLedger(t, { seed: true });
  await new Promise((resolve) => setTimeout(resolve, 5));
  const seeded = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const posted = await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: { ...reversal(SEED_IDS.usHandover, '2025-02-12'), data: { eventId: SEED_IDS.usHandover, reason: 'test' } },
  });
  t.equal(posted.statusCode, 201, posted.body);
  const view = await get(app, '/v1/inventory');
  t.match(totalOf(view, 'firearm'), {
    onHand: 15,
    exact: true,
    onHandBounds: { precision: 'exact', lower: 15, upper: 15 },
  });
  t.equal(totalOf(view, 'ammunition'), undefined, 'the tens of bullets are gone with it');
  const before = await get(app, `/v1/inventory?knownAt=${seeded}`);
  t.match(
    totalOf(before, 'firearm'),
    { onHandBounds: { precision: 'at-least', lower: 615, upper: null } },
    'as known before the reversal',
  );
});

t.test('personnel: sizes not reported, and pledged vs deployed per country', async (t) => {
  const { app } = await testLedger(t, { seed: true });
  const view = await get(app, '/v1/personnel');
  const belize = view.byCountry.find((r: { country: string }) => r.country === 'belize');
  t.match(belize, { sizeReported: false, precision: 'at-least', lower: 1, upper: null });
  const kenya = view.byCountry.find((r: { country: string }) => r.country === 'kenya');
  t.match(kenya, { sizeReported: true, precision: 'exact', deployed: 400, lower: 400, upper: 400 });
  t.match(view, {
    authorisedStrength: 2500,
    deployed: 403,
    precision: 'at-least',
    lower: 403,
    upper: null,
    sizeNotReported: 3,
  });
  const pledged = view.forceGeneration.filter((f: { pledgesWithoutSize: number }) => f.pledgesWithoutSize > 0);
  t.same(
    pledged.map((f: { country: string }) => f.country),
    ['antigua-and-barbuda', 'bangladesh', 'barbados', 'benin', 'chad', 'guyana'],
    "004's six pledges",
  );
  for (const f of pledged) t.equal(f.pledged, null, `${f.country}: no size invented`);
  const before = await get(app, '/v1/personnel?asOf=2023-09-30');
  t.same(before.forceGeneration, [], 'no pledge before the approval');
});

t.test('a personnel pledge names a registered contingent, or is refused', async (t) => {
  const { inject, store } = await testLedger(t, { seed: true });
  const head = (await store.readAll({ after: 0, limit: 10_000 })).length;
  const response = await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: {
      type: 'PersonnelPledged',
      occurredAt: '2025-01-10',
      data: { country: 'benin', role: 'military', contingent: 'mss-benin', count: { value: 150 } },
    },
  });
  t.equal(response.statusCode, 422);
  t.match(response.json(), { type: 'urn:mss-ledger:rule:party-unknown', field: 'data.contingent' });
  t.equal((await store.readAll({ after: 0, limit: 10_000 })).length, head, 'store untouched');
});
