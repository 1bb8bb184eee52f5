/**
 * A projection answer asked again at the same position is sent as it was kept
 * (src/http/plugins/answers.ts): the same bytes and every header the full
 * pipeline gave it (security headers, ETag, position, the log's tree), with
 * the request's own headers (its id, CORS, X-Ledger-Stale) taken from the
 * request being answered.
 */
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { securityHeaders } from '../../src/http/plugins/security-headers.js';
import { openLogLedger, tempDir } from '../log/support.js';
import { donation, line } from '../support/fixtures.js';
import { bearer, testLedger } from '../support/ledger.js';

/** The headers of an answer, but those each request has its own of (its id, the date, its rate limit). */
const answerHeaders = (response: LightMyRequestResponse) =>
  Object.fromEntries(
    Object.entries(response.headers).filter(
      ([name]) => name !== 'x-request-id' && name !== 'date' && !name.startsWith('x-ratelimit-'),
    ),
  );

const URLS = [
  '/v1/inventory',
  '/v1/inventory?holder=mss',
  '/v1/inventory?knownAt=2025-03-01',
  '/v1/personnel',
  '/v1/personnel?asOf=2025-01-01',
  '/v1/donors',
];

t.test('asked again, the same answer: same bytes, same headers, its own request id', async (t) => {
  const { app, close } = await openLogLedger(tempDir(t));
  t.teardown(close);
  const get = (url: string, id: string) =>
    app.inject({ method: 'GET', url, headers: { ...bearer('viewer'), 'x-request-id': id } });
  for (const url of URLS) {
    const first = await get(url, 'first');
    t.equal(first.statusCode, 200, url);
    for (const [i, id] of ['second', 'third'].entries()) {
      const again = await get(url, id);
      t.equal(again.statusCode, 200);
      t.equal(again.body, first.body, `${url}: the same bytes (${i + 2}. time)`);
      t.same(answerHeaders(again), answerHeaders(first), `${url}: the same headers`);
      t.equal(again.headers['x-request-id'], id, 'the request id is its own');
      t.equal(
        Number(again.headers['x-ratelimit-remaining']),
        Number(first.headers['x-ratelimit-remaining']) - i - 1,
        'and so is its rate limit',
      );
    }
    const kept = await get(url, 'kept');
    for (const [name, value] of Object.entries(securityHeaders(false)))
      t.equal(kept.headers[name], value, `${url}: ${name} is still sent`);
    for (const name of ['etag', 'cache-control', 'x-ledger-position', 'x-ledger-tree-size', 'x-ledger-root'])
      t.ok(kept.headers[name], `${url}: ${name} is still sent`);
    t.equal(kept.headers['content-type'], 'application/json; charset=utf-8');
    t.equal(kept.headers['content-length'], String(Buffer.byteLength(kept.body)));
  }
});

t.test('a HEAD after a GET: the same headers, no body', async (t) => {
  const { app } = await testLedger(t, { seed: true });
  const get = await app.inject({ method: 'GET', url: '/v1/inventory', headers: bearer('viewer') });
  await app.inject({ method: 'GET', url: '/v1/inventory', headers: bearer('viewer') });
  const head = await app.inject({ method: 'HEAD', url: '/v1/inventory', headers: bearer('viewer') });
  t.equal(head.statusCode, 200);
  t.equal(head.body, '');
  t.same(answerHeaders(head), answerHeaders(get));
});

t.test('a new event: a new answer, not the kept one', async (t) => {
  const { app, inject } = await testLedger(t, { seed: true });
  const before = await inject('viewer', { method: 'GET', url: '/v1/inventory' });
  await inject('viewer', { method: 'GET', url: '/v1/inventory' });
  const posted = await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: donation('us-government', 'hnp', [line('radio', 4)], '2025-02-12'),
  });
  t.equal(posted.statusCode, 201);
  const position = posted.json().position as number;
  const after = await app.inject({
    method: 'GET',
    url: `/v1/inventory?minPosition=${position}`,
    headers: bearer('viewer'),
  });
  t.not(after.headers.etag, before.headers.etag);
  t.equal(after.headers['x-ledger-position'], String(position));
  t.not(after.body, before.body);
});

t.test("CORS: a kept answer carries the asking origin's headers, not the first asker's", async (t) => {
  const origins = ['https://a.example', 'https://b.example'];
  const { app } = await testLedger(t, { seed: true, app: { corsOrigins: origins } });
  const from = (origin?: string) =>
    app.inject({
      method: 'GET',
      url: '/v1/inventory',
      headers: { ...bearer('viewer'), ...(origin ? { origin } : {}) },
    });
  const a = await from(origins[0]);
  t.equal(a.headers['access-control-allow-origin'], origins[0]);
  const b = await from(origins[1]);
  t.equal(b.headers['access-control-allow-origin'], origins[1], 'the second origin is named');
  t.equal(b.headers['cross-origin-resource-policy'], 'cross-origin');
  t.equal(b.body, a.body);
  const none = await from();
  t.equal(none.headers['access-control-allow-origin'], undefined, 'no origin asked, none named');
  t.equal(none.headers['cross-origin-resource-policy'], 'cross-origin');
});

t.test('minPosition not reached: each answer says it is stale, kept or not', async (t) => {
  const { app } = await testLedger(t, { seed: true, app: { minPositionWaitMs: 20 } });
  const url = '/v1/inventory?minPosition=1000000';
  for (const time of ['first', 'second', 'third']) {
    const response = await app.inject({ method: 'GET', url, headers: bearer('viewer') });
    t.equal(response.statusCode, 200);
    t.equal(response.headers['x-ledger-stale'], 'true', `${time} time`);
  }
  const fresh = await app.inject({ method: 'GET', url: '/v1/inventory', headers: bearer('viewer') });
  t.equal(fresh.headers['x-ledger-stale'], undefined, 'without minPosition, not stale');
});
