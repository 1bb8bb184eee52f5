/**
 * The shape shared by the write scenarios: durable POST /v1/events against
 * our service and against the bare Fastify + better-sqlite3 group-commit
 * route (bench/baselines/bare-sqlite.ts), same bodies, same connections,
 * taking turns.
 */
import { freshDir, headPosition, startBaseline, startService, withChildren } from '../lib/child.js';
import { compareLoads, type LoadSummary } from '../lib/compare.js';
import { ledgerCommitStats } from '../lib/ledger-db.js';
import { probe } from '../lib/load.js';
import { row, type BenchContext, type Row, type Scenario, type Target } from '../lib/types.js';

export interface WriteLoadOptions {
  id: string;
  title: string;
  /** JSON bodies, sent in turn. */
  bodies: string[];
  /** Events in each body: 1 for a single event, the array's length for a batch. */
  eventsPerRequest: number;
  targetEventsPerSec: number;
  /** Connections; defaults to ctx.connections. */
  connections?: number;
  timeoutS?: number;
}

const BASELINE = 'bare fastify+sqlite';

export interface WriteRowsInput {
  title: string;
  perRequest: number;
  ours: LoadSummary;
  baseline: LoadSummary;
  baselineName: string;
  /** On events/s. */
  target: Target;
  oursEventsPerCommit: number | undefined;
  baselineEventsPerCommit: number | undefined;
}

/** The table rows of a write comparison: events/s, latency, non-2xx, CPU per event, events per commit. */
export function writeRows(input: WriteRowsInput): Row[] {
  const { title, perRequest, ours, baseline: theirs } = input;
  const baseline = (value: number) => ({ name: input.baselineName, value });
  const rows: Row[] = [
    row({
      scenario: title,
      metric: 'events/s',
      unit: '/s',
      ours: ours.okPerSec * perRequest,
      baseline: baseline(theirs.okPerSec * perRequest),
      target: input.target,
    }),
    row({
      scenario: title,
      metric: 'p50 latency',
      unit: 'ms',
      ours: ours.latencyMs.p50,
      baseline: baseline(theirs.latencyMs.p50),
    }),
    row({
      scenario: title,
      metric: 'p99 latency',
      unit: 'ms',
      ours: ours.latencyMs.p99,
      baseline: baseline(theirs.latencyMs.p99),
    }),
    row({ scenario: title, metric: 'non-2xx', unit: '', ours: ours.non2xx, baseline: baseline(theirs.non2xx) }),
  ];
  if (ours.serverCpuUsPerOk !== undefined && theirs.serverCpuUsPerOk !== undefined)
    rows.push(
      row({
        scenario: title,
        metric: 'server CPU per event',
        unit: 'µs',
        ours: ours.serverCpuUsPerOk / perRequest,
        baseline: baseline(theirs.serverCpuUsPerOk / perRequest),
      }),
    );
  if (input.oursEventsPerCommit !== undefined && input.baselineEventsPerCommit !== undefined)
    rows.push(
      row({
        scenario: title,
        metric: 'events per commit',
        unit: '',
        ours: input.oursEventsPerCommit,
        baseline: baseline(input.baselineEventsPerCommit),
      }),
    );
  return rows;
}

export function writeLoadScenario(options: WriteLoadOptions): Scenario {
  const { id, title, bodies, eventsPerRequest: perRequest } = options;
  return {
    id,
    title,
    async run(ctx: BenchContext) {
      const connections = options.connections ?? ctx.connections;
      const load = {
        path: '/v1/events',
        method: 'POST' as const,
        bodies,
        connections,
        ...(options.timeoutS ? { timeoutS: options.timeoutS } : {}),
      };
      const dataDir = freshDir(ctx, `ledger-${id}`);
      const measured = await withChildren(
        [() => startService(ctx, { name: `service-${id}`, dataDir }), () => startBaseline(ctx, 'bare-sqlite')],
        async ([service, bare]) => {
          for (const server of [service!, bare!])
            await probe(`${server.url}/v1/events`, { method: 'POST', body: bodies[0] }, [201]);
          const before = await headPosition(service!);
          const result = await compareLoads(ctx, id, [
            { key: 'ours', server: service!, load },
            { key: 'bare-sqlite', server: bare!, load },
          ]);
          const headAdvancedBy = (await headPosition(service!)) - before;
          // The head also counts the warm-up, so it can only be ahead of the measured answers.
          if (headAdvancedBy < result.ours!.ok * perRequest)
            throw new Error(
              `${id}: ${result.ours!.ok * perRequest} events answered 201 but the head moved by ${headAdvancedBy}`,
            );
          const bareCommits = (await (await fetch(`${bare!.url}/stats`)).json()) as { commits: number; rows: number };
          return { loads: result, headAdvancedBy, bareCommits, serviceReadyMs: service!.readyMs };
        },
      );
      const ours = measured.loads.ours!;
      const bare = measured.loads['bare-sqlite']!;
      const oursCommits = ledgerCommitStats(dataDir);
      const { bareCommits } = measured;

      const rows = writeRows({
        title,
        perRequest,
        ours,
        baseline: bare,
        baselineName: BASELINE,
        target: { op: '>=', value: options.targetEventsPerSec },
        oursEventsPerCommit: oursCommits?.eventsPerAppend,
        baselineEventsPerCommit: bareCommits.commits > 0 ? bareCommits.rows / bareCommits.commits : undefined,
      });
      return {
        rows,
        details: {
          eventsPerRequest: perRequest,
          connections,
          ours,
          bare,
          serviceReadyMs: measured.serviceReadyMs,
          headAdvancedBy: measured.headAdvancedBy,
          oursCommits,
          bareCommits,
        },
      };
    },
  };
}
