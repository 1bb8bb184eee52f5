/**
 * The request counts and durations are kept by our own RequestFigures and only read by
 * prom-client's registry: what /metrics says must be exactly what prom-client's own Counter and
 * Histogram would say for the same answers.
 */
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import t from 'tap';
import { Metrics } from '../../src/http/plugins/metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Answer {
  method: string;
  route: string;
  status: number;
  seconds: number;
}

const answer = fc.record({
  method: fc.constantFrom('GET', 'POST', 'HEAD'),
  route: fc.constantFrom('/v1/inventory', '/v1/events', '/v1/shipments/:shipmentId', 'unmatched'),
  status: fc.constantFrom(200, 201, 304, 400, 404, 503),
  // Bucket bounds themselves, values between them, and past the last one.
  seconds: fc.oneof(fc.constantFrom(...BUCKETS, 0, 7), fc.double({ min: 0, max: 10, noNaN: true })),
});

/** The exposition lines of our two request metrics, sorted: families' order is not part of the format. */
function requestLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^mss_http_request(s_total|_duration_seconds)/.test(line))
    .sort();
}

async function promClientSays(answers: Answer[]): Promise<string[]> {
  const registry = new Registry();
  const requests = new Counter({
    name: 'mss_http_requests_total',
    help: 'x',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'mss_http_request_duration_seconds',
    help: 'x',
    labelNames: ['method', 'route'],
    buckets: BUCKETS,
    registers: [registry],
  });
  for (const { method, route, status, seconds } of answers) {
    requests.inc({ method, route, status: String(status) });
    durations.observe({ method, route }, seconds);
  }
  return requestLines(await registry.metrics());
}

t.test('/metrics counts and times every answer as prom-client itself would', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(answer, { maxLength: 60 }), async (answers) => {
      const metrics = new Metrics();
      for (const { method, route, status, seconds } of answers) metrics.observeRequest(method, route, status, seconds);
      const ours = requestLines(await metrics.render({ position: 0, head: 0 }));
      t.same(ours, await promClientSays(answers));
      // Read twice: reading must not count anything again.
      t.same(requestLines(await metrics.render({ position: 0, head: 0 })), ours);
    }),
    { numRuns: 200 },
  );
});

t.test('a reset of the registry starts the request figures again', async (t) => {
  const metrics = new Metrics();
  metrics.observeRequest('GET', '/v1/inventory', 200, 0.002);
  metrics.registry.resetMetrics();
  metrics.observeRequest('GET', '/v1/inventory', 304, 0.0001);
  t.same(
    requestLines(await metrics.render({ position: 0, head: 0 })),
    await promClientSays([{ method: 'GET', route: '/v1/inventory', status: 304, seconds: 0.0001 }]),
  );
});
