/**
 * Every refusal is RFC 9457 problem details with a stable type, and hostile
 * input changes nothing: 404, 405, 413, 415, 429, malformed JSON, unknown
 * fields, injection-looking ids.
 */
import t, { type Test } from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { donation, line, party, world } from '../support/fixtures.js';
import { bearer, testLedger } from '../support/ledger.js';

function isProblem(t: Test, response: LightMyRequestResponse, status: number, type: string) {
  t.equal(response.statusCode, status, `status ${status}`);
  t.match(response.headers['content-type'], /^application\/problem\+json/, 'problem+json');
  const body = response.json();
  t.equal(body.type, type, `type ${type}`);
  t.equal(body.status, status, 'status in the body');
  t.type(body.title, 'string');
  return body;
}

t.test('404, 405 with Allow, 413, 415, 429', async (t) => {
  const { app, store, inject } = await testLedger(t, { app: { bodyLimit: 2048 } });
  const before = await store.headPosition();

  isProblem(t, await inject('auditor', { method: 'GET', url: '/v1/nowhere' }), 404, 'urn:mss-ledger:http:404');

  const put = await inject('recorder', { method: 'PUT', url: '/v1/events', payload: {} });
  const problem = isProblem(t, put, 405, 'urn:mss-ledger:http:405');
  t.equal(put.headers.allow, 'GET, HEAD, POST', 'Allow lists the methods');
  t.same(problem.context.allow, ['GET', 'HEAD', 'POST']);
  const del = await app.inject({ method: 'DELETE', url: '/v1/inventory' });
  isProblem(t, del, 405, 'urn:mss-ledger:http:405');
  t.equal(del.headers.allow, 'GET, HEAD');
  const postStream = await app.inject({
    method: 'POST',
    url: '/v1/streams/ledger',
    headers: { 'content-type': 'text/plain' },
    payload: 'x',
  });
  t.equal(postStream.statusCode, 405, 'the method is wrong whatever the body');

  const big = [party('a-party', 'donor', 'x'.repeat(3000))];
  const tooLarge = await inject('recorder', { method: 'POST', url: '/v1/events', payload: big });
  isProblem(t, tooLarge, 413, 'urn:mss-ledger:http:413');

  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const response = await inject('recorder', {
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': type },
      payload: 'type=DonationReceived',
    });
    isProblem(t, response, 415, 'urn:mss-ledger:http:415');
  }
  t.equal(await store.headPosition(), before, 'nothing stored');

  const limited = await testLedger(t, { app: { rateLimitPerMinute: 3 } });
  for (let i = 0; i < 3; i++)
    t.equal((await limited.inject('viewer', { method: 'GET', url: '/v1/inventory' })).statusCode, 200);
  const refused = await limited.inject('viewer', { method: 'GET', url: '/v1/inventory' });
  isProblem(t, refused, 429, 'urn:mss-ledger:http:429');
  t.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After');
  t.equal(
    (await limited.inject('auditor', { method: 'GET', url: '/v1/inventory' })).statusCode,
    200,
    'the limit is per key: another key is not limited',
  );
  t.equal((await limited.app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'probes are not limited');
  const metrics = await limited.app.inject({ method: 'GET', url: '/metrics' });
  t.match(metrics.body, /mss_http_requests_total\{method="GET",route="\/v1\/inventory",status="429"\} 1/);
});

t.test('hostile input: a clear 4xx and nothing stored', async (t) => {
  const { store, inject } = await testLedger(t);
  t.equal((await inject('recorder', { method: 'POST', url: '/v1/events', payload: world() })).statusCode, 201);
  const before = await store.headPosition();
  const post = (payload: string | object, headers: Record<string, string> = {}) =>
    inject('recorder', {
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json', ...headers },
      payload,
    });

  isProblem(t, await post('{"type": "DonationReceived", '), 400, 'urn:mss-ledger:http:400');
  isProblem(t, await post('[1, 2,'), 400, 'urn:mss-ledger:http:400');
  isProblem(t, await post(''), 400, 'urn:mss-ledger:http:400');
  isProblem(t, await post('"just a string"'), 400, 'urn:mss-ledger:rule:schema-invalid');
  isProblem(t, await post('{"__proto__": {"admin": true}}'), 400, 'urn:mss-ledger:http:400'); // prototype poisoning refused by the parser

  const gift = donation('us-inl', 'mss', [line('rifle', 1)]);
  const unknownTop = isProblem(t, await post({ ...gift, admin: true }), 400, 'urn:mss-ledger:rule:schema-invalid');
  t.match(unknownTop.detail, /admin/, 'names the unknown field');
  isProblem(t, await post({ ...gift, data: { ...gift.data, extra: 1 } }), 400, 'urn:mss-ledger:rule:schema-invalid');

  const ids = ["1' OR '1'='1", '../../etc/passwd', '<script>alert(1)</script>', 'x"; DROP TABLE events; --'];
  for (const id of ids) {
    const body = isProblem(t, await post({ ...gift, id }), 400, 'urn:mss-ledger:rule:schema-invalid');
    t.equal(body.field, 'id', `id ${JSON.stringify(id)} refused`);
    const streamed = await inject('auditor', { method: 'GET', url: `/v1/streams/${encodeURIComponent(id)}` });
    t.ok([400, 404].includes(streamed.statusCode), `stream id ${JSON.stringify(id)}: ${streamed.statusCode}`);
    t.match(streamed.headers['content-type'], /problem\+json/);
    const filtered = await inject('auditor', { method: 'GET', url: `/v1/events?party=${encodeURIComponent(id)}` });
    isProblem(t, filtered, 400, 'urn:mss-ledger:rule:schema-invalid');
  }
  isProblem(
    t,
    await inject('auditor', { method: 'GET', url: "/v1/streams/ledger'--" }),
    400,
    'urn:mss-ledger:rule:schema-invalid',
  );
  isProblem(
    t,
    await inject('auditor', { method: 'GET', url: '/v1/events?limit=5&sneaky=1' }),
    400,
    'urn:mss-ledger:rule:schema-invalid',
  );
  isProblem(t, await post(gift, { 'if-match': 'yesterday' }), 400, 'urn:mss-ledger:rule:schema-invalid');
  t.equal(await store.headPosition(), before, 'nothing was stored');
  t.equal(
    (await inject('recorder', { method: 'POST', url: '/v1/events', payload: gift })).statusCode,
    201,
    'a good event still goes in',
  );
  t.ok(bearer('recorder').authorization.startsWith('Bearer '));
});
