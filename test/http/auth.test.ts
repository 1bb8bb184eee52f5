/**
 * Who may call what: every route the app registers × no key, a bad key and
 * each role. Routes added later are covered without touching this file: the
 * matrix is built from the app's own route catalog.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { generateKey, hashKey, KeyRing, parseKeySpec, ROLES, type Role } from '../../src/auth/keys.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/http/plugins/logger.js';
import { donation, line } from '../support/fixtures.js';
import { bearer, testLedger, TEST_KEYS } from '../support/ledger.js';

type Who = 'none' | 'bad' | Role;
const WHO: Who[] = ['none', 'bad', ...ROLES];

/** The policy, pinned: what each route must allow. Routes not listed are checked against the catalog's own access. */
const PINNED: Record<string, Role[] | 'public'> = {
  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  'GET /docs': 'public',
  'GET /': 'public',
  'GET /vendor/uplot/:file': 'public',
  'POST /v1/events': ['recorder'],
  'GET /v1/events': ['recorder', 'auditor'],
  'GET /v1/events/export': ['auditor'],
  'GET /v1/streams/:id': ['recorder', 'auditor'],
  'GET /v1/positions/stream': ['viewer', 'recorder', 'auditor'],
  'GET /v1/inventory': ['viewer', 'recorder', 'auditor'],
  'GET /v1/personnel': ['viewer', 'recorder', 'auditor'],
};

const PARAMS: Record<string, string> = {
  id: 'ledger',
  shipmentId: 'heli-medevac-from-el-salvador',
  file: 'uPlot.min.css',
};
const concrete = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => PARAMS[name] ?? 'x1');

t.test('authorization matrix: every route × no key, bad key, each role', async (t) => {
  const { app, ledger } = await testLedger(t, { seed: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const headersOf = (who: Who): Record<string, string> =>
    who === 'none' ? {} : who === 'bad' ? { authorization: `Bearer ${generateKey()}` } : bearer(who);

  const operations = [...app.catalog.operations.values()].filter(
    (o) => o.method !== 'HEAD' && !(o.url.startsWith('/docs/') || o.url.includes('*')),
  );
  t.ok(operations.length >= 12, `${operations.length} routes in the matrix`);
  for (const [key, allowed] of Object.entries(PINNED)) {
    const op = app.catalog.operations.get(key);
    t.ok(op, `${key} is registered`);
    if (op) t.same(op.access === 'public' ? 'public' : null, allowed === 'public' ? 'public' : null, `${key} access`);
  }

  for (const op of operations) {
    const name = `${op.method} ${op.url}`;
    const pinned = PINNED[name];
    const allowed: readonly Role[] | 'public' =
      pinned ?? (op.access === 'public' ? 'public' : (await import('../../src/auth/policy.js')).rolesFor(op.access));
    for (const who of WHO) {
      const url = concrete(op.url);
      let status: number;
      if (op.url === '/v1/positions/stream') {
        // A live stream: read the status line, then hang up.
        status = await new Promise<number>((resolve, reject) => {
          const req = http.get(base + url, { headers: headersOf(who), agent: false }, (res) => {
            resolve(res.statusCode ?? 0);
            req.destroy();
          });
          req.on('error', reject);
        });
      } else {
        const payload =
          op.method === 'POST' ? donation('us-government', 'mss', [line('radio', 1)], '2025-02-12') : undefined;
        const response = await app.inject({
          method: op.method as 'GET' | 'POST',
          url,
          headers: headersOf(who),
          ...(payload ? { payload } : {}),
        });
        status = response.statusCode;
        if (status === 401 || status === 403) {
          t.match(response.headers['content-type'], /^application\/problem\+json/, `${name} ${who}: problem`);
          t.match(response.headers['www-authenticate'], /^Bearer realm="mss-ledger"/, `${name} ${who}: challenge`);
        }
      }
      if (allowed === 'public') t.ok(status < 400, `${name} as ${who}: public (${status})`);
      else if (who === 'none' || who === 'bad') t.equal(status, 401, `${name} as ${who}: 401`);
      else if (allowed.includes(who))
        t.ok(status !== 401 && status !== 403 && status < 500, `${name} as ${who}: ${status}`);
      else t.equal(status, 403, `${name} as ${who}: 403`);
    }
  }
  // The recorder's post was stored under its principal's name.
  const events = await ledger.store.readAll({ after: 0, limit: 10_000 });
  t.equal(events[events.length - 1]?.recordedBy, 'test-recorder', 'recordedBy is the principal of the key');
});

t.test('keys: hashed, parsed strictly, compared whole', async (t) => {
  const entries = parseKeySpec(`ops-dash:viewer:${'k'.repeat(40)}, panel:auditor:${'a:b'.repeat(12)}`);
  t.same(
    entries.map((e) => [e.name, e.role]),
    [
      ['ops-dash', 'viewer'],
      ['panel', 'auditor'],
    ],
  );
  t.same(entries[1]?.hash, hashKey('a:b'.repeat(12)), 'a key may contain colons; only its hash is kept');
  t.throws(() => parseKeySpec('x:admin:short'), /role must be one of.*key must be at least 32/);
  const ring = new KeyRing({ keys: entries });
  t.same(ring.authenticate('k'.repeat(40)), { name: 'ops-dash', role: 'viewer' });
  t.equal(ring.authenticate('k'.repeat(39)), undefined, 'a prefix is not a key');
  t.equal(ring.authenticate('k'.repeat(41)), undefined);
  t.equal(ring.authenticate(''), undefined);
  t.equal(ring.authenticate('x'.repeat(10_000)), undefined, 'an absurdly long key is refused unhashed');
  t.match(generateKey(), /^mssk_[A-Za-z0-9_-]{43}$/);
});

t.test('Authorization header forms', async (t) => {
  const { app } = await testLedger(t);
  const get = (authorization: string) =>
    app.inject({ method: 'GET', url: '/v1/inventory', headers: { authorization } });
  t.equal((await get(`Bearer ${TEST_KEYS.viewer}`)).statusCode, 200);
  t.equal((await get(`bearer ${TEST_KEYS.viewer}`)).statusCode, 200, 'the scheme is case-insensitive');
  const basic = await get(`Basic ${Buffer.from(`u:${TEST_KEYS.viewer}`).toString('base64')}`);
  t.equal(basic.statusCode, 401);
  t.match(basic.headers['www-authenticate'], /error="invalid_request"/);
  const wrong = await get('Bearer nope');
  t.match(wrong.headers['www-authenticate'], /error="invalid_token"/);
  t.match(wrong.json(), { type: 'urn:mss-ledger:http:401', status: 401 });
  const forbidden = await app.inject({ method: 'GET', url: '/v1/events/export', headers: bearer('viewer') });
  t.equal(forbidden.statusCode, 403);
  t.match(forbidden.headers['www-authenticate'], /error="insufficient_scope"/);
  t.match(forbidden.json(), { type: 'urn:mss-ledger:http:403', detail: /auditor/ });
});

t.test('revocation without restart: the keys file is re-read when it changes', async (t) => {
  const { ledger } = await testLedger(t);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keys.json');
  const alice = generateKey();
  const bob = generateKey();
  const errors: string[] = [];
  writeFileSync(
    file,
    JSON.stringify({
      keys: [
        { name: 'alice', role: 'viewer', sha256: hashKey(alice).toString('hex') },
        { name: 'bob', role: 'auditor', key: bob },
      ],
    }),
  );
  const keyring = new KeyRing({ file, reloadIntervalMs: 0, onReloadError: (e) => errors.push(e.message) });
  const app = await buildApp(ledger, { auth: keyring });
  t.teardown(() => app.close());
  const status = async (key: string) =>
    (await app.inject({ method: 'GET', url: '/v1/inventory', headers: { authorization: `Bearer ${key}` } })).statusCode;
  t.equal(await status(alice), 200, 'a hashed key from the file');
  t.equal(await status(bob), 200, 'a plain key from the file');

  writeFileSync(file, JSON.stringify({ keys: [{ name: 'bob', role: 'auditor', key: bob }] }));
  t.equal(await status(alice), 401, 'alice is revoked at once');
  t.equal(await status(bob), 200, 'bob is not');

  writeFileSync(file, '{ "keys": [ oops');
  t.equal(await status(bob), 200, 'a broken file keeps the keys in force');
  t.equal(await status(alice), 401, 'and does not bring a revoked key back');
  t.match(errors, [/not valid JSON/], 'the broken file is reported');
});

t.test('secrets stay out of the logs; request ids are in every line', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const { ledger } = await testLedger(t);
  const app = await buildApp(ledger, {
    auth: new KeyRing({ keys: [{ name: 'x', role: 'viewer', key: TEST_KEYS.viewer }] }),
    logger: createLogger('trace', sink),
  });
  t.teardown(() => app.close());
  app.addHook('onRequest', (request, _reply, done) => {
    request.log.info({ headers: request.headers }, 'a careless debug line');
    done();
  });
  await app.ready();
  const response = await app.inject({
    method: 'GET',
    url: '/v1/inventory',
    headers: { ...bearer('viewer'), 'x-request-id': 'dash-42' },
  });
  t.equal(response.headers['x-request-id'], 'dash-42', 'the caller’s request id is echoed');
  const evil = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'a\nforged line' } });
  t.match(evil.headers['x-request-id'], /^[0-9a-f-]{13}-[0-9a-z]+$/, 'an unsafe request id is replaced');
  t.ok(lines.length > 0, 'something was logged');
  t.notOk(
    lines.some((l) => l.includes(TEST_KEYS.viewer)),
    'the key never appears in a log line',
  );
  t.ok(
    lines.some((l) => l.includes('[redacted]')),
    'the header is redacted',
  );
  const requestLines = lines
    .map((l) => JSON.parse(l) as { reqId?: string; msg?: string })
    .filter((l) => l.msg !== undefined && /request|careless/.test(l.msg));
  t.ok(requestLines.length >= 3);
  t.ok(
    requestLines.every((l) => typeof l.reqId === 'string'),
    'every request line carries the request id',
  );
});
