/**
 * Load from the bench process with autocannon: an unmeasured warm-up, then the
 * measured run. Reports throughput, latency, status codes, and how much CPU
 * the server and the load generator used (both share the machine's cores).
 */
import autocannon from 'autocannon';
import { authHeaders } from './auth.js';
import type { ChildHandle } from './child.js';

export interface LoadOptions {
  /** What the JSON and the progress lines call this run. */
  label: string;
  /** Base URL of the server, e.g. `http://127.0.0.1:4000`. */
  url: string;
  path: string;
  method?: 'GET' | 'POST';
  /** Request bodies (JSON text), sent in turn by each connection. */
  bodies?: string[];
  connections: number;
  durationS: number;
  warmupS: number;
  /** The server under load, to measure its CPU use. */
  server?: ChildHandle;
  /** Headers on every request; the bench's API key is always added. */
  headers?: Record<string, string>;
  /** Per-request timeout in seconds (autocannon's default is 10). */
  timeoutS?: number;
  /**
   * The one status every answer must have (e.g. 304 for a revalidation); it then counts as `ok` and
   * any other status as a failure. Default: any 2xx.
   */
  expectStatus?: number;
}

export interface LoadResult {
  label: string;
  connections: number;
  durationS: number;
  /** 2xx responses (or `expectStatus` ones) per second over the measured run. */
  okPerSec: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  total: number;
  /** Answers with the expected status: any 2xx, or `expectStatus`. */
  ok: number;
  /** Answers with any other status (named so for history: with `expectStatus`, that includes 2xx). */
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Cores' worth of CPU used during the measured run (1 = one core flat out). */
  serverCpu: number | undefined;
  /** Server CPU microseconds per 2xx answer: less sensitive than throughput to other load on the machine. */
  serverCpuUsPerOk: number | undefined;
  clientCpu: number;
  /** The server's resident memory after the run. */
  serverRssMiB: number | undefined;
  /** The first non-2xx answer, to say why a run failed. */
  firstFailure?: { status: number; body: string };
}

export class LoadFailure extends Error {}

/** Answers with the expected status in an autocannon result, and the others. */
function tally(result: autocannon.Result, expectStatus: number | undefined): { ok: number; other: number } {
  if (expectStatus === undefined) return { ok: result['2xx'], other: result.non2xx };
  const stats = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  let ok = 0;
  let other = 0;
  for (const [code, { count }] of Object.entries(stats)) {
    if (Number(code) === expectStatus) ok += count;
    else other += count;
  }
  return { ok, other };
}

/** Runs a warm-up then the measured load; throws LoadFailure unless every answer was 2xx (or `expectStatus`). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let firstFailure: LoadResult['firstFailure'];
  const expected = options.expectStatus;
  const failed = (status: number) => (expected === undefined ? status < 200 || status > 299 : status !== expected);
  const onResponse = (status: number, body: string) => {
    if (failed(status) && !firstFailure) firstFailure = { status, body: body.slice(0, 2000) };
  };
  const method = options.method ?? 'GET';
  const headers = { ...authHeaders(), ...options.headers };
  const requests: autocannon.Request[] = (options.bodies ?? [undefined]).map((body) => ({
    method,
    path: options.path,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body }),
    onResponse,
  }));
  const base: autocannon.Options = {
    url: options.url,
    connections: options.connections,
    requests,
    timeout: options.timeoutS ?? 10,
  };
  if (options.warmupS > 0) {
    const warm = await autocannon({ ...base, duration: options.warmupS });
    const counted = tally(warm, expected);
    if (counted.other > 0 || warm.errors > 0)
      throw new LoadFailure(
        `${options.label} (warm-up): ${counted.other} ${expected === undefined ? 'non-2xx' : `not ${expected}`}, ` +
          `${warm.errors} errors; ` +
          (firstFailure ? `first: ${firstFailure.status} ${firstFailure.body}` : 'no failing answer captured'),
      );
  }

  const clientStart = process.cpuUsage();
  const serverStart = options.server?.cpuSeconds();
  const wallStart = performance.now();
  const result = await autocannon({ ...base, duration: options.durationS });
  const wallS = (performance.now() - wallStart) / 1000;
  const client = process.cpuUsage(clientStart);
  const serverEnd = options.server?.cpuSeconds();
  const rss = options.server?.rssBytes();

  const statusCodes: Record<string, number> = {};
  const stats = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  for (const [code, { count }] of Object.entries(stats)) statusCodes[code] = count;
  const { ok, other } = tally(result, expected);
  const out: LoadResult = {
    label: options.label,
    connections: options.connections,
    durationS: result.duration,
    okPerSec: ok / result.duration,
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    total: ok + other,
    ok,
    non2xx: other,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    serverCpu: serverStart !== undefined && serverEnd !== undefined ? (serverEnd - serverStart) / wallS : undefined,
    serverCpuUsPerOk:
      serverStart !== undefined && serverEnd !== undefined && ok > 0
        ? ((serverEnd - serverStart) * 1e6) / ok
        : undefined,
    clientCpu: (client.user + client.system) / 1e6 / wallS,
    serverRssMiB: rss === undefined ? undefined : Math.round(rss / 2 ** 20),
    ...(firstFailure ? { firstFailure } : {}),
  };
  if (out.non2xx > 0 || out.errors > 0 || out.ok === 0) {
    const why = firstFailure ? `first: ${firstFailure.status} ${firstFailure.body}` : 'no failing answer captured';
    throw new LoadFailure(
      `${options.label}: ${out.non2xx} ${expected === undefined ? 'non-2xx' : `not ${expected}`}, ${out.errors} errors (${out.timeouts} timeouts), ${out.ok} ok; ` +
        `status codes ${JSON.stringify(statusCodes)}; ${why}`,
    );
  }
  return out;
}

/**
 * Sends one request and insists on the expected status: catches a wrong body before a whole run is wasted.
 * The bench's API key is sent unless `anonymous`; `headers` are added.
 */
export async function probe(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string>; anonymous?: boolean },
  expected: number[],
): Promise<{ status: number; body: Buffer; contentType: string | null; headers: Headers }> {
  const headers: Record<string, string> = { ...(init.anonymous ? {} : authHeaders()), ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const body = Buffer.from(await response.arrayBuffer());
  if (!expected.includes(response.status))
    throw new LoadFailure(
      `${init.method ?? 'GET'} ${url}: expected ${expected.join(' or ')}, got ${response.status}: ${body.toString('utf8').slice(0, 2000)}`,
    );
  return {
    status: response.status,
    body,
    contentType: response.headers.get('content-type'),
    headers: response.headers,
  };
}
