/** Metrics, security headers, CORS and configuration, as an operator sees them. */
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
  t.match(text, /mss_http_request_duration_seconds_bucket\{method="GET",route="\/v1\/inventory",le="\+Inf"\} 1/);
  t.match(text, /mss_ledger_appends_total 2/);
  t.match(text, /mss_ledger_appended_events_total 8/);
  t.match(text, /mss_ledger_replays_total 1/);
  t.match(text, /mss_ledger_rejections_total\{rule="party-unknown"\} 1/);
  t.match(text, /mss_projection_lag_events \d+/);
  t.match(text, /mss_store_head_position 8/);
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
