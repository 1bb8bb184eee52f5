/**
 * The shape shared by the write scenarios: durable POST /v1/events against
 * our service, the fair peer (bench/baselines/fair-sqlite.ts: Fastify + zod
 * validation of the same schema + SQLite, synchronous=FULL, group commit, a
 * unique id index, UUIDv7 ids: the same work minus the ledger) and the floor
 * (bench/baselines/bare-sqlite.ts: no validation, no ids, no index), same
 * bodies, same connections, taking turns (A B C, C B A …). The ratios and
 * targets are on the fair peer; the floor's rows say how far any route is from
 * bare Fastify + SQLite.
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
  /** Targets on the ratio to the fair peer. */
  fairTargets: { eventsPerSec: number; p99?: number; cpuPerEvent?: number };
  /** Connections; defaults to ctx.connections. */
  connections?: number;
  timeoutS?: number;
}

const FAIR = 'fair peer (fastify+zod+sqlite)';
const FLOOR = 'floor: bare fastify+sqlite';

export interface WriteRowsInput {
  title: string;
  perRequest: number;
  ours: LoadSummary;
  baseline: LoadSummary;
  baselineName: string;
  /** On events/s. */
  target: Target;
  p99Target?: Target;
  cpuTarget?: Target;
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
      ...(input.p99Target ? { target: input.p99Target } : {}),
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
        ...(input.cpuTarget ? { target: input.cpuTarget } : {}),
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

/** Events per commit from a baseline's own /stats counter. */
async function baselineCommits(url: string): Promise<{ commits: number; rows: number }> {
  return (await (await fetch(`${url}/stats`)).json()) as { commits: number; rows: number };
}

const perCommit = (c: { commits: number; rows: number }) => (c.commits > 0 ? c.rows / c.commits : undefined);

export function writeLoadScenario(options: WriteLoadOptions): Scenario {
  const { id, title, bodies, eventsPerRequest: perRequest, fairTargets } = options;
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
        [
          () => startService(ctx, { name: `service-${id}`, dataDir }),
          () => startBaseline(ctx, 'fair-sqlite'),
          () => startBaseline(ctx, 'bare-sqlite'),
        ],
        async ([service, fair, bare]) => {
          for (const server of [service!, fair!, bare!])
            await probe(`${server.url}/v1/events`, { method: 'POST', body: bodies[0] }, [201]);
          const before = await headPosition(service!);
          const result = await compareLoads(ctx, id, [
            { key: 'ours', server: service!, load },
            { key: 'fair-sqlite', server: fair!, load },
            { key: 'bare-sqlite', server: bare!, load },
          ]);
          const headAdvancedBy = (await headPosition(service!)) - before;
          // The head also counts the warm-up, so it can only be ahead of the measured answers.
          if (headAdvancedBy < result.ours!.ok * perRequest)
            throw new Error(
              `${id}: ${result.ours!.ok * perRequest} events answered 201 but the head moved by ${headAdvancedBy}`,
            );
          return {
            loads: result,
            headAdvancedBy,
            fairCommits: await baselineCommits(fair!.url),
            bareCommits: await baselineCommits(bare!.url),
            serviceReadyMs: service!.readyMs,
          };
        },
      );
      const ours = measured.loads.ours!;
      const fair = measured.loads['fair-sqlite']!;
      const bare = measured.loads['bare-sqlite']!;
      const oursCommits = ledgerCommitStats(dataDir);
      const { fairCommits, bareCommits } = measured;

      const rows = [
        ...writeRows({
          title,
          perRequest,
          ours,
          baseline: fair,
          baselineName: FAIR,
          target: { op: '>=', value: fairTargets.eventsPerSec, on: 'ratio' },
          ...(fairTargets.p99 ? { p99Target: { op: '<=', value: fairTargets.p99, on: 'ratio' } as const } : {}),
          ...(fairTargets.cpuPerEvent
            ? { cpuTarget: { op: '<=', value: fairTargets.cpuPerEvent, on: 'ratio' } as const }
            : {}),
          oursEventsPerCommit: oursCommits?.eventsPerAppend,
          baselineEventsPerCommit: perCommit(fairCommits),
        }),
        row({
          scenario: title,
          metric: 'events/s, share of the floor',
          unit: '/s',
          ours: ours.okPerSec * perRequest,
          baseline: { name: FLOOR, value: bare.okPerSec * perRequest },
        }),
        ...(ours.serverCpuUsPerOk !== undefined && bare.serverCpuUsPerOk !== undefined
          ? [
              row({
                scenario: title,
                metric: 'server CPU per event, vs the floor',
                unit: 'µs',
                ours: ours.serverCpuUsPerOk / perRequest,
                baseline: { name: FLOOR, value: bare.serverCpuUsPerOk / perRequest },
              }),
            ]
          : []),
        row({
          scenario: title,
          metric: 'p99 latency, vs the floor',
          unit: 'ms',
          ours: ours.latencyMs.p99,
          baseline: { name: FLOOR, value: bare.latencyMs.p99 },
        }),
      ];
      return {
        rows,
        details: {
          eventsPerRequest: perRequest,
          connections,
          ours,
          fair,
          bare,
          serviceReadyMs: measured.serviceReadyMs,
          headAdvancedBy: measured.headAdvancedBy,
          oursCommits,
          fairCommits,
          bareCommits,
        },
      };
    },
  };
}
