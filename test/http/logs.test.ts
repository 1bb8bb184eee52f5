/**
 * What the logs say about requests: one line per answered request naming the
 * caller's principal (never the key), refused attempts included; a dashboard
 * leaving the SSE feed is a debug line, not info; pretty lines for people,
 * JSON for machines.
 */
import { get } from 'node:http';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/http/app.js';
import { createLogger, prettyLogs } from '../../src/http/plugins/logger.js';
import { donation, line, world } from '../support/fixtures.js';
import { bearer, testKeyRing, testLedger, TEST_KEYS } from '../support/ledger.js';

interface Line {
  level: number;
  msg: string;
  principal?: string | null;
  reqId?: string;
  res?: { statusCode: number };
}

function sink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

async function loggedApp(t: Test, level: string, humanReadable = false) {
  const { ledger } = await testLedger(t);
  const { stream, lines } = sink();
  const app = await buildApp(ledger, {
    auth: testKeyRing(),
    rateLimitPerMinute: 100_000,
    logger: createLogger(level, stream, humanReadable),
  });
  t.teardown(() => app.close());
  return { app, lines, ledger };
}

t.test('request lines name the principal, never the key', async (t) => {
  const { app, lines } = await loggedApp(t, 'info');
  await app.inject({ method: 'POST', url: '/v1/events', payload: world(), headers: bearer('recorder') });
  await app.inject({
    method: 'POST',
    url: '/v1/events',
    payload: donation('us-inl', 'mss', [line('rifle', 1)]),
    headers: { ...bearer('viewer'), 'x-request-id': 'refused-1' },
  });
  await app.inject({
    method: 'GET',
    url: '/v1/inventory',
    headers: { authorization: 'Bearer not-a-key-at-all-0000000000', 'x-request-id': 'unknown-1' },
  });
  await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'public-1' } });

  const parsed = lines.map((l) => JSON.parse(l) as Line);
  const answered = parsed.filter((l) => l.msg === 'request completed');
  t.equal(answered.length, 4, 'one line per request');
  t.notOk(
    parsed.some((l) => l.msg === 'incoming request'),
    'no line before the key is checked',
  );
  t.equal(answered[0]?.principal, 'test-recorder', 'a recorded post names its recorder');
  const refused = answered.find((l) => l.reqId === 'refused-1');
  t.equal(refused?.res?.statusCode, 403);
  t.equal(refused?.principal, 'test-viewer', 'a refused attempt is attributed to its key’s principal');
  const unknown = answered.find((l) => l.reqId === 'unknown-1');
  t.equal(unknown?.res?.statusCode, 401);
  t.equal(unknown?.principal, null, 'an unknown key has no principal');
  t.equal(answered.find((l) => l.reqId === 'public-1')?.principal, null, 'a public route has no caller');
  for (const key of Object.values(TEST_KEYS))
    t.notOk(
      lines.some((l) => l.includes(key)),
      'no key appears in any line',
    );
  t.notOk(
    lines.some((l) => l.includes('not-a-key-at-all')),
    'nor does an unknown one',
  );
});

/** Opens the SSE feed, reads its first message, hangs up, and waits for the server to notice. */
async function openAndLeaveFeed(port: number) {
  await new Promise<void>((resolve, reject) => {
    const request = get(
      { port, host: '127.0.0.1', path: '/v1/positions/stream', headers: bearer('viewer') },
      (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      },
    );
    request.on('error', (error) => (error.message.includes('socket hang up') ? resolve() : reject(error)));
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
}

t.test('a client leaving the SSE feed is a debug line', async (t) => {
  for (const level of ['info', 'debug']) {
    const { app, lines } = await loggedApp(t, level);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    await openAndLeaveFeed(typeof address === 'object' && address ? address.port : 0);
    const parsed = lines.map((l) => JSON.parse(l) as Line);
    t.notOk(
      parsed.some((l) => l.level >= 30 && /prematurely|closed the stream/.test(l.msg)),
      `nothing at info or above (level ${level})`,
    );
    if (level === 'debug') {
      const left = parsed.find((l) => l.msg === 'the client closed the stream');
      t.equal(left?.level, 20, 'the disconnect is logged at debug');
      t.equal(left?.principal, 'test-viewer', 'naming who left');
    }
    await app.close();
  }
});

t.test('pretty for people, JSON for machines', async (t) => {
  t.equal(prettyLogs({ NODE_ENV: 'development' }, false), true, 'development is read by a person');
  t.equal(prettyLogs({ NODE_ENV: 'production' }, true), true, 'so is a terminal');
  t.equal(prettyLogs({ NODE_ENV: 'production' }, false), false, 'a pipe or a container gets JSON');
  t.equal(prettyLogs({}, false), false);

  const { app, lines } = await loggedApp(t, 'info', true);
  await app.inject({ method: 'GET', url: '/v1/inventory', headers: bearer('viewer') });
  const completed = lines.find((l) => l.includes('request completed'));
  t.ok(completed, 'the request is logged');
  t.match(completed, /INFO/, 'with a readable level');
  t.throws(() => JSON.parse(completed ?? ''), 'and not as JSON');
  t.ok(
    lines.some((l) => /request completed GET \/v1\/inventory 200 .*"principal":"test-viewer"/.test(l)),
    'one readable line: the request, its status and the principal',
  );
  t.notOk(
    lines.some((l) => l.includes(TEST_KEYS.viewer)),
    'the key is not',
  );
});
