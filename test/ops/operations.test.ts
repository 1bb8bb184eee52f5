/** Metrics, security headers, CORS and configuration, as an operator sees them. */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import t from 'tap';
import { loadConfig, ConfigError } from '../../src/config.js';
import { donation, line, world } from '../support/fixtures.js';
import { testLedger } from '../support/ledger.js';

t.test('/metrics: requests, latencies, appends, rejections by rule, projection lag', async (t) => {
  const { app, inject } = await testLedger(t);
  await inject('recorder', { method: 'POST', url: '/v1/events', payload: world() });
  const gift = donation('us-inl', 'mss', [line('rifle', 5)]);
  await inject('recorder', { method: 'POST', url: '/v1/events', payload: gift });
  await inject('recorder', { method: 'POST', url: '/v1/events', payload: gift });
  await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: donation('us-inl', 'nobody', [line('rifle', 1)]),
  });
  await inject('viewer', { method: 'GET', url: '/v1/inventory' });
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(response.statusCode, 200, 'public');
  t.match(response.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const text = response.body;
  t.match(text, /mss_http_requests_total\{method="POST",route="\/v1\/events",status="201"\} 2/);
  t.match(text, /mss_http_requests_total\{method="POST",route="\/v1\/events",status="200"\} 1/);
  t.match(text, /mss_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/v1\/inventory"\} 1/);
  t.match(text, /mss_ledger_appends_total 2/);
  t.match(text, /mss_ledger_appended_events_total 8/);
  t.match(text, /mss_ledger_replays_total 1/);
  t.match(text, /mss_ledger_rejections_total\{rule="party-unknown"\} 1/);
  t.match(text, /mss_projection_lag_events \d+/);
  t.match(text, /mss_store_head_position 8/);
});

t.test('/metrics parses as Prometheus text, with the standard process metrics', async (t) => {
  const { app, inject } = await testLedger(t, { seed: true });
  // A lookup that finds nothing is a 404, not a refusal by a ledger rule.
  const missing = await inject('viewer', { method: 'GET', url: '/v1/shipments/no-such-shipment' });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().rule, 'not-found');
  await inject('recorder', {
    method: 'POST',
    url: '/v1/events',
    payload: donation('us-inl', 'nobody', [line('rifle', 1)]),
  });

  const response = await app.inject({ method: 'GET', url: '/metrics' });
  const families = new Map(parsePrometheusTextFormat(response.body).map((f) => [f.name, f]));
  const declared = response.body
    .split('\n')
    .filter((l) => l.startsWith('# TYPE '))
    .map((l) => l.split(' ')[2]);
  t.same([...families.keys()].sort(), declared.sort(), 'every declared family is parsed');
  // The parser folds a histogram's label sets together, so samples are counted outside histograms.
  const plain = [...families.values()].filter((f) => f.type !== 'HISTOGRAM');
  const lines = response.body
    .split('\n')
    .filter((l) => plain.some((f) => l.startsWith(`${f.name}{`) || l.startsWith(`${f.name} `)));
  t.equal(
    plain.reduce((n, f) => n + f.metrics.length, 0),
    lines.length,
    'every counter and gauge sample is understood by the parser',
  );
  t.ok(
    plain.every((f) => f.metrics.every((s) => Number.isFinite(Number(s.value)))),
    'and each has a numeric value',
  );
  for (const [name, type] of [
    ['process_cpu_seconds_total', 'COUNTER'],
    ['process_resident_memory_bytes', 'GAUGE'],
    ['process_start_time_seconds', 'GAUGE'],
    ['nodejs_eventloop_lag_seconds', 'GAUGE'],
    ['nodejs_heap_size_used_bytes', 'GAUGE'],
    ['nodejs_external_memory_bytes', 'GAUGE'],
    ['nodejs_gc_duration_seconds', 'HISTOGRAM'],
    ['mss_http_requests_total', 'COUNTER'],
    ['mss_http_request_duration_seconds', 'HISTOGRAM'],
    ['mss_ledger_appends_total', 'COUNTER'],
    ['mss_ledger_rejections_total', 'COUNTER'],
    ['mss_ledger_position', 'GAUGE'],
    ['mss_projection_lag_events', 'GAUGE'],
  ] as const)
    t.equal(families.get(name)?.type, type, `${name} is a ${type.toLowerCase()}`);
  if (process.platform === 'linux') t.ok(families.has('process_open_fds'), 'process_open_fds (Linux)');
  const start = Number(families.get('process_start_time_seconds')?.metrics[0]?.value);
  t.ok(start > 1.7e9 && start <= Date.now() / 1000, 'the start time is a plausible epoch second');
  const rejections = families.get('mss_ledger_rejections_total')?.metrics ?? [];
  t.same(
    rejections.map((s) => s.labels?.rule),
    ['party-unknown'],
    'the refused post is counted; the 404 lookup is not',
  );
  const notFound = families
    .get('mss_http_requests_total')
    ?.metrics.find((s) => s.labels?.status === '404' && s.labels.route === '/v1/shipments/:shipmentId');
  t.equal(notFound?.value, '1', 'the 404 is still counted as a request');
});

t.test('security headers and CORS', async (t) => {
  const { app, inject } = await testLedger(t, { app: { corsOrigins: ['https://dash.example.org'] } });
  const response = await inject('viewer', {
    method: 'GET',
    url: '/v1/inventory',
    headers: { origin: 'https://dash.example.org' },
  });
  t.equal(response.headers['x-content-type-options'], 'nosniff', 'helmet');
  t.ok(response.headers['strict-transport-security'], 'HSTS');
  t.equal(response.headers['access-control-allow-origin'], 'https://dash.example.org');
  t.match(response.headers['access-control-expose-headers'], /ETag.*X-Ledger-Position/);
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/inventory',
    headers: {
      origin: 'https://dash.example.org',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization, if-none-match',
    },
  });
  t.equal(preflight.statusCode, 204, 'preflight needs no key');
  t.match(preflight.headers['access-control-allow-headers'], /Authorization/);
  const other = await inject('viewer', {
    method: 'GET',
    url: '/v1/inventory',
    headers: { origin: 'https://evil.example' },
  });
  t.notOk(other.headers['access-control-allow-origin'], 'other origins get no CORS grant');
});

t.test('configuration: defaults, and one line per problem', async (t) => {
  const config = loadConfig({});
  t.match(config, {
    PORT: 3000,
    HOST: '127.0.0.1',
    RATE_LIMIT_PER_MINUTE: 600,
    BODY_LIMIT_BYTES: 4194304,
    CORS_ORIGINS: [],
  });
  t.same(loadConfig({ CORS_ORIGINS: 'https://a.org, http://b.org:8080' }).CORS_ORIGINS, [
    'https://a.org',
    'http://b.org:8080',
  ]);
  const error = t.throws(() =>
    loadConfig({
      PORT: '99999',
      LOG_LEVEL: 'loud',
      CORS_ORIGINS: 'a.org/x',
      BODY_LIMIT_BYTES: '12',
      NODE_ENV: 'production',
    }),
  ) as ConfigError;
  t.type(error, ConfigError);
  t.equal(error.problems.length, 6, error.message);
  t.match(error.problems, [
    /^PORT: /,
    /^LOG_LEVEL: /,
    /^CORS_ORIGINS: /,
    /^BODY_LIMIT_BYTES: /,
    /^API_KEYS: production needs/,
    /^SIGNING_KEY_FILE: production needs/,
  ]);
  t.ok(
    loadConfig({ NODE_ENV: 'production', API_KEYS_FILE: '/etc/mss/keys.json', SIGNING_KEY_FILE: '/etc/mss/log.key' }),
  );
});

t.test(
  '/metrics counts every answer once: under its route, a HEAD under its own method, the unrouted as unmatched',
  async (t) => {
    const { app, inject } = await testLedger(t);
    await inject('viewer', { method: 'GET', url: '/v1/inventory' });
    await inject('viewer', { method: 'HEAD', url: '/v1/inventory' });
    await inject('viewer', { method: 'GET', url: '/v1/shipments/none-such' });
    await app.inject({ method: 'GET', url: '/no/such/route' });
    await app.inject({ method: 'GET', url: '/ready' });
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const counts = [...text.matchAll(/^mss_http_requests_total\{(.*)\} (\d+)$/gm)].map(
      ([, labels, n]) => `${labels} ${n}`,
    );
    t.same(counts.sort(), [
      'method="GET",route="/ready",status="200" 1',
      'method="GET",route="/v1/inventory",status="200" 1',
      'method="GET",route="/v1/shipments/:shipmentId",status="404" 1',
      'method="GET",route="unmatched",status="404" 1',
      'method="HEAD",route="/v1/inventory",status="200" 1',
    ]);
  },
);
