/**
 * Store faults as a client sees them: a problem with the fault's status, type
 * and Retry-After, /ready naming the cause while it lasts, and the same
 * request accepted once the store is back, without a restart.
 */
import t from 'tap';
import { StoreFault } from '../../src/store/faults.js';
import { party } from '../support/fixtures.js';
import { faulty, type FaultyStore } from '../support/faulty-store.js';
import { testLedger } from '../support/ledger.js';

const PROBLEM = 'application/problem+json; charset=utf-8';

t.test(
  'a store that does not answer: 503 store-unavailable with Retry-After, /ready says why, then recovery',
  async (t) => {
    let store: FaultyStore | undefined;
    const { app, inject } = await testLedger(t, {
      wrapStore: (real) => (store = faulty(real)),
      storeTimeoutMs: 300,
    });
    t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200, 'ready to begin with');
    store!.fail('append', new StoreFault('store-unavailable', 'connection refused'));
    store!.fail('headPosition', new StoreFault('store-unavailable', 'connection refused'));
    const event = party('faults-http', 'other');
    const refused = await inject('recorder', { method: 'POST', url: '/v1/events', payload: event });
    t.equal(refused.statusCode, 503);
    t.equal(refused.headers['content-type'], PROBLEM);
    t.equal(refused.headers['retry-after'], '5');
    t.match(refused.json(), { type: 'urn:mss-ledger:fault:store-unavailable', status: 503, instance: '/v1/events' });
    t.ok(refused.headers['x-request-id'], 'with the request id');

    const ready = await app.inject({ method: 'GET', url: '/ready' });
    t.equal(ready.statusCode, 503);
    t.match(ready.json().problems.join(' '), /the store does not answer/);
    t.match(ready.json().problems.join(' '), /writes fail: connection refused/);

    store!.heal();
    const readyAgain = await app.inject({ method: 'GET', url: '/ready' });
    t.equal(readyAgain.statusCode, 200, `ready again: ${readyAgain.body}`);
    const accepted = await inject('recorder', { method: 'POST', url: '/v1/events', payload: event });
    t.equal(accepted.statusCode, 201, 'the same event is accepted without a restart');
  },
);

t.test('a hung store: every request is answered within the bound, and each answer tells the truth', async (t) => {
  let store: FaultyStore | undefined;
  const { inject, store: real } = await testLedger(t, {
    wrapStore: (inner) => (store = faulty(inner)),
    storeTimeoutMs: 300,
  });
  store!.hold('append');
  const events = Array.from({ length: 20 }, (_, i) => party(`hung-${i}`, 'other'));
  const post = (event: (typeof events)[number]) =>
    inject('recorder', { method: 'POST', url: '/v1/events', payload: event });
  const answers = await Promise.all(events.map(post));
  const types = answers.map((a) => `${a.statusCode} ${a.json<{ type: string }>().type}`);
  t.ok(
    types.every((type) =>
      ['503 urn:mss-ledger:fault:append-outcome-unknown', '503 urn:mss-ledger:fault:store-unavailable'].includes(type),
    ),
    `all twenty answered with a fault: ${[...new Set(types)].join(', ')}`,
  );
  t.ok(types.includes('503 urn:mss-ledger:fault:append-outcome-unknown'), 'the group whose append was sent: unknown');
  store!.heal(); // the held append lands now
  await new Promise((resolve) => setTimeout(resolve, 100));
  const stored = new Set((await real.readAll()).map((e) => e.id));
  for (const [i, answer] of answers.entries()) {
    const id = events[i]!.id!;
    if (answer.json<{ type: string }>().type.endsWith('store-unavailable'))
      t.notOk(stored.has(id), `"nothing was written" holds for ${id}`);
  }
  const retries = await Promise.all(events.map(post));
  t.ok(
    retries.every((r) => r.statusCode === 200 || r.statusCode === 201),
    'retrying with the same ids settles every one',
  );
  t.equal(new Set((await real.readAll()).map((e) => e.id)).size, (await real.readAll()).length, 'nothing doubled');
  t.ok(
    events.every((e) => retries.some((r) => r.json<{ events: { id: string }[] }>().events?.[0]?.id === e.id)),
    'each retry answered with its own event',
  );
});

t.test('a full disk: 507 store-full', async (t) => {
  let store: FaultyStore | undefined;
  const { inject } = await testLedger(t, { wrapStore: (real) => (store = faulty(real)) });
  store!.fail('append', new StoreFault('store-full', 'the disk holding the store is full'));
  const refused = await inject('recorder', { method: 'POST', url: '/v1/events', payload: party('full', 'other') });
  t.equal(refused.statusCode, 507);
  t.equal(refused.headers['retry-after'], '60');
  t.equal(refused.json<{ type: string }>().type, 'urn:mss-ledger:fault:store-full');
});
