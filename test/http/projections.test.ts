/** Inventory and personnel over HTTP, on the seeded mission history. */
import Database from 'better-sqlite3';
import t from 'tap';
import { bearer, testLedger } from '../support/ledger.js';
import { donation, line } from '../support/fixtures.js';

t.test('the seeded history, as a dashboard reads it', async (t) => {
  const { inject, ledger } = await testLedger(t, { seed: true });
  const inventory = await inject('viewer', { method: 'GET', url: '/v1/inventory' });
  t.equal(inventory.statusCode, 200);
  const body = inventory.json();
  t.equal(body.position, await ledger.store.headPosition(), 'says which position it reflects');
  const mss = body.holders.find((h: { holder: string }) => h.holder === 'mss');
  const guns = mss.items.filter((i: { category: string }) => i.category === 'firearm');
  t.ok(
    guns.some((g: { quantity: number; exact: boolean }) => g.quantity === 600 && !g.exact),
    'at least 600 guns, marked inexact',
  );
  const firearms = body.totals.find((x: { category: string }) => x.category === 'firearm');
  t.equal(firearms.exact, false, 'the firearm total says it includes an inexact figure');

  const personnel = await inject('viewer', { method: 'GET', url: '/v1/personnel' });
  t.equal(personnel.statusCode, 200);
  const kenya = personnel.json().byCountry.find((r: { country: string }) => r.country === 'kenya');
  t.equal(
    kenya.deployed,
    400,
    'two contingents of 200 Kenyan police; the misdated report is reversed, not counted twice',
  );
  t.equal(personnel.json().authorisedStrength, 2500);

  const one = await inject('viewer', { method: 'GET', url: '/v1/inventory?holder=mss' });
  t.same(
    one.json().holders.map((h: { holder: string }) => h.holder),
    ['mss'],
  );
});

t.test('a posted event shows in the inventory once the projection reaches its position', async (t) => {
  const { inject, ledger } = await testLedger(t, { seed: true });
  const posted = await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: donation('us-inl', 'hnp', [line('radio', 12)]),
  });
  t.equal(posted.statusCode, 201, posted.body);
  t.ok(await ledger.projector.waitFor(posted.json().position, 2000));
  const view = (await inject('viewer', { method: 'GET', url: '/v1/inventory?holder=hnp' })).json();
  t.match(view.holders[0]?.items, [{ itemType: 'radio', quantity: 12 }]);
});

t.test('health and readiness', async (t) => {
  const { app } = await testLedger(t, { seed: true });
  t.same((await app.inject({ method: 'GET', url: '/health' })).json(), { status: 'ok' });
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200);
  t.match(ready.json(), { status: 'ready', engine: 'sqlite', problems: [] });
});

t.test('readiness fails when the store can no longer refuse a rewrite', async (t) => {
  const { app, file } = await testLedger(t, { seed: true });
  // Someone with file access drops an immutability trigger.
  const db = new Database(file);
  db.exec('DROP TRIGGER events_no_delete');
  db.close();
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 503);
  t.match(ready.json().problems, [/events_no_delete/]);
});

t.test('chain of custody over HTTP, with the events that moved the item', async (t) => {
  const { app, ledger } = await testLedger(t, { seed: true });
  const gift = {
    type: 'DonationReceived',
    occurredAt: '2025-03-01',
    data: {
      donor: 'us-government',
      recipient: 'mss',
      lines: [{ itemType: 'handgun', quantity: { value: 2 }, serials: [{ serial: 'HG-0001' }, { serial: 'HG-0002' }] }],
    },
  };
  const handover = {
    type: 'MaterielTransferred',
    occurredAt: '2025-04-01',
    data: {
      from: 'mss',
      to: 'hnp',
      lines: [{ itemType: 'handgun', quantity: { value: 1 }, serials: [{ serial: 'HG-0001' }] }],
    },
  };
  const posted = await app.inject({
    method: 'POST',
    headers: bearer('recorder'),
    url: '/v1/events',
    payload: [gift, handover],
  });
  t.equal(posted.statusCode, 201, posted.body);
  await ledger.projector.waitFor(posted.json().position, 2000);
  const custody = await app.inject({ method: 'GET', headers: bearer('auditor'), url: '/v1/items/HG-0001' });
  t.equal(custody.statusCode, 200);
  t.match(custody.json(), {
    serial: 'HG-0001',
    itemType: 'handgun',
    assigned: false,
    holder: 'hnp',
    chain: [
      {
        holder: 'mss',
        receivedFrom: 'us-government',
        eventType: 'DonationReceived',
        eventId: posted.json().events[0].id,
      },
      { holder: 'hnp', receivedFrom: 'mss', eventType: 'MaterielTransferred', eventId: posted.json().events[1].id },
    ],
  });
  const earlier = await app.inject({
    method: 'GET',
    headers: bearer('auditor'),
    url: '/v1/items/HG-0001?asOf=2025-03-15',
  });
  t.equal(earlier.json().holder, 'mss', 'as of mid-March, the mission held it');
  const unknown = await app.inject({ method: 'GET', headers: bearer('auditor'), url: '/v1/items/NOPE-1' });
  t.equal(unknown.statusCode, 404);
  t.match(unknown.headers['content-type'], /problem\+json/);
});
