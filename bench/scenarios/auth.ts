/**
 * What authentication costs on the write path (issue 4): single-event durable POST /v1/events, the
 * bodies of the `post` scenario, against our service with authentication on (the bench's recorder
 * key) and off, taking turns (A B B A).
 *
 * src/main.ts cannot run without keys, so both servers are bench/children/app.ts, which starts the
 * service as serve.ts does and passes `buildApp` either a KeyRing or `auth: false`: they differ by
 * the key ring alone. Rate limiting is off in both. Both get the same bytes (the Authorization
 * header included: the server without auth ignores it). Before the load, each is checked to be
 * what it claims: without a key, the first answers 401 and the second 201.
 */
import { serviceAuthEnv } from '../lib/auth.js';
import { singleBodies } from '../lib/bodies.js';
import { freshDir, headPosition, startChild, withChildren, type ChildHandle } from '../lib/child.js';
import { compareLoads } from '../lib/compare.js';
import { ledgerCommitStats } from '../lib/ledger-db.js';
import { probe } from '../lib/load.js';
import type { BenchContext, Scenario } from '../lib/types.js';
import { writeRows } from './write-load.js';

/** With authentication, at least this share of the throughput without (issue 4). */
export const TARGET_SHARE_WITHOUT_AUTH = 0.9;
const TITLE = 'POST one event, auth on vs off';
const BASELINE = 'auth off';
const PATH = '/v1/events';

function startApp(ctx: BenchContext, mode: 'on' | 'off', dataDir: string): Promise<ChildHandle> {
  return startChild(ctx, {
    name: `service-auth-${mode}`,
    script: 'bench/children/app.ts',
    env: {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SEED_ON_EMPTY: 'true',
      ...serviceAuthEnv(),
      EVENTSTORE_CONNECTION_STRING: undefined,
      BENCH_AUTH: mode,
    },
    readyPath: '/ready',
    profile: true,
  });
}

export const auth: Scenario = {
  id: 'auth',
  title: TITLE,
  async run(ctx) {
    const bodies = singleBodies(16);
    const load = { path: PATH, method: 'POST' as const, bodies, connections: ctx.connections };
    const dirs = { on: freshDir(ctx, 'ledger-auth-on'), off: freshDir(ctx, 'ledger-auth-off') };
    const measured = await withChildren(
      [() => startApp(ctx, 'on', dirs.on), () => startApp(ctx, 'off', dirs.off)],
      async ([on, off]) => {
        // Each is what it claims: the key is accepted by both, and only the first insists on one.
        for (const server of [on!, off!])
          await probe(`${server.url}${PATH}`, { method: 'POST', body: bodies[0] }, [201]);
        await probe(`${on!.url}${PATH}`, { method: 'POST', body: bodies[0], anonymous: true }, [401]);
        await probe(`${off!.url}${PATH}`, { method: 'POST', body: bodies[0], anonymous: true }, [201]);
        const before = { on: await headPosition(on!), off: await headPosition(off!) };
        const loads = await compareLoads(ctx, 'auth', [
          { key: 'auth-on', server: on!, load },
          { key: 'auth-off', server: off!, load },
        ]);
        const advanced = { on: (await headPosition(on!)) - before.on, off: (await headPosition(off!)) - before.off };
        for (const mode of ['on', 'off'] as const) {
          const answered = loads[`auth-${mode}`]!.ok;
          // The head also counts the warm-up, so it can only be ahead of the measured answers.
          if (advanced[mode] < answered)
            throw new Error(
              `auth: auth ${mode}: ${answered} events answered 201 but the head moved by ${advanced[mode]}`,
            );
        }
        return { loads, advanced, readyMs: { on: on!.readyMs, off: off!.readyMs } };
      },
    );
    const on = measured.loads['auth-on']!;
    const off = measured.loads['auth-off']!;
    const commits = { on: ledgerCommitStats(dirs.on), off: ledgerCommitStats(dirs.off) };
    const rows = writeRows({
      title: TITLE,
      perRequest: 1,
      ours: on,
      baseline: off,
      baselineName: BASELINE,
      target: { op: '>=', value: TARGET_SHARE_WITHOUT_AUTH, on: 'ratio' },
      oursEventsPerCommit: commits.on?.eventsPerAppend,
      baselineEventsPerCommit: commits.off?.eventsPerAppend,
    });
    return {
      rows,
      details: {
        connections: ctx.connections,
        authOn: on,
        authOff: off,
        authCpuUsPerRequest:
          on.serverCpuUsPerOk !== undefined && off.serverCpuUsPerOk !== undefined
            ? on.serverCpuUsPerOk - off.serverCpuUsPerOk
            : undefined,
        headAdvancedBy: measured.advanced,
        readyMs: measured.readyMs,
        commits,
      },
    };
  },
};
