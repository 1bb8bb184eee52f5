/**
 * Prometheus metrics, written by hand in the text exposition format (0.0.4):
 * a few counters and one histogram do not need a library, and the hot path
 * stays a Map lookup and an increment.
 *
 * - `mss_http_requests_total{method,route,status}`
 * - `mss_http_request_duration_seconds{method,route}` (histogram)
 * - `mss_ledger_appends_total`, `mss_ledger_appended_events_total`, `mss_ledger_replays_total`
 * - `mss_ledger_rejections_total{rule}`: refusals by the rule that refused
 * - `mss_ledger_position`, `mss_store_head_position`, `mss_projection_lag_events`
 */
import type { FastifyInstance } from 'fastify';
import type { LedgerDeps } from '../app.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Histogram {
  labels: string;
  counts: number[];
  sum: number;
  count: number;
}

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly rejections = new Map<string, number>();
  appends = 0;
  appendedEvents = 0;
  replays = 0;

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = `method="${method}",route="${escape(route)}"`;
    const key = `${labels},status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let histogram = this.durations.get(labels);
    if (histogram === undefined) {
      histogram = { labels, counts: new Array<number>(BUCKETS.length).fill(0), sum: 0, count: 0 };
      this.durations.set(labels, histogram);
    }
    histogram.sum += seconds;
    histogram.count++;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= (BUCKETS[i] as number)) histogram.counts[i]!++;
  }

  observeRejection(rule: string): void {
    this.rejections.set(rule, (this.rejections.get(rule) ?? 0) + 1);
  }

  render(gauges: { position: number; head: number }): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    metric('mss_http_requests_total', 'counter', 'HTTP requests answered, by method, route and status.');
    for (const [labels, value] of this.requests) lines.push(`mss_http_requests_total{${labels}} ${value}`);
    metric('mss_http_request_duration_seconds', 'histogram', 'Time to answer, by method and route.');
    for (const h of this.durations.values()) {
      BUCKETS.forEach((le, i) =>
        lines.push(`mss_http_request_duration_seconds_bucket{${h.labels},le="${le}"} ${h.counts[i]}`),
      );
      lines.push(`mss_http_request_duration_seconds_bucket{${h.labels},le="+Inf"} ${h.count}`);
      lines.push(`mss_http_request_duration_seconds_sum{${h.labels}} ${h.sum}`);
      lines.push(`mss_http_request_duration_seconds_count{${h.labels}} ${h.count}`);
    }
    metric('mss_ledger_appends_total', 'counter', 'Accepted POST /v1/events requests that stored new events.');
    lines.push(`mss_ledger_appends_total ${this.appends}`);
    metric('mss_ledger_appended_events_total', 'counter', 'Events stored through the API.');
    lines.push(`mss_ledger_appended_events_total ${this.appendedEvents}`);
    metric('mss_ledger_replays_total', 'counter', 'Idempotent retries answered with the original result.');
    lines.push(`mss_ledger_replays_total ${this.replays}`);
    metric('mss_ledger_rejections_total', 'counter', 'Requests refused, by the rule that refused them.');
    for (const [rule, value] of this.rejections)
      lines.push(`mss_ledger_rejections_total{rule="${escape(rule)}"} ${value}`);
    metric('mss_ledger_position', 'gauge', 'Global position the projections reflect.');
    lines.push(`mss_ledger_position ${gauges.position}`);
    metric('mss_store_head_position', 'gauge', 'Last global position in the store (-1: store unreachable).');
    lines.push(`mss_store_head_position ${gauges.head}`);
    metric('mss_projection_lag_events', 'gauge', 'Events stored but not yet folded into the projections.');
    lines.push(`mss_projection_lag_events ${gauges.head < 0 ? 0 : Math.max(0, gauges.head - gauges.position)}`);
    metric('process_resident_memory_bytes', 'gauge', 'Resident memory.');
    lines.push(`process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    // Where resident memory goes: the JS heap, and typed arrays / buffers outside it.
    const memory = process.memoryUsage();
    metric('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use.');
    lines.push(`nodejs_heap_used_bytes ${memory.heapUsed}`);
    metric('nodejs_heap_total_bytes', 'gauge', 'V8 heap reserved.');
    lines.push(`nodejs_heap_total_bytes ${memory.heapTotal}`);
    metric(
      'nodejs_external_memory_bytes',
      'gauge',
      'Memory outside the V8 heap held by JS objects (typed arrays, buffers).',
    );
    lines.push(`nodejs_external_memory_bytes ${memory.external}`);
    return `${lines.join('\n')}\n`;
  }
}

/** Counts every answer, and serves GET /metrics. */
export function installMetrics(app: FastifyInstance, deps: LedgerDeps, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (reply.problemRule !== undefined) metrics.observeRejection(reply.problemRule);
    done();
  });

  app.get(
    '/metrics',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Prometheus metrics: requests, latencies, appends, rejections by rule, projection lag',
        description:
          'Text exposition format 0.0.4. Public: it holds counts and timings, no ledger data. Expose it on an internal network only.',
        tags: ['operations'],
      },
    },
    async (_request, reply) => {
      const head = await deps.store.headPosition().catch(() => -1);
      return reply
        .type('text/plain; version=0.0.4; charset=utf-8')
        .send(metrics.render({ position: deps.projector.state.position, head }));
    },
  );
}
