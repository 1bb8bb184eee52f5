/**
 * `npm run bench [-- --duration 10 --only post,get]`: runs the scenarios
 * under bench/scenarios/, prints a table of our figures beside baselines
 * measured in the same run, and writes bench/results/latest.json.
 * See bench/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stopAllChildren } from './lib/child.js';
import { environment, formatTable } from './lib/report.js';
import type { BenchContext, Row, ScenarioResult } from './lib/types.js';
import { scenarios } from './scenarios/index.js';

const USAGE = `usage: npm run bench -- [options]
  --duration S      seconds of measured load per server and scenario (default 10)
  --rounds N        ours and the baseline take turns in N rounds of S/N seconds (default 2)
  --warmup S        seconds of unmeasured load before a server's first round (default 2)
  --connections N   concurrent connections (default 50)
  --only a,b        run only these scenarios: ${scenarios.map((s) => s.id).join(', ')}
  --profile         run our service with --cpu-prof (profiles in bench/results/profiles/)
  --strict          exit 1 when a target is missed, not only when a scenario fails
  --keep            keep the temporary data directories
  --list            list the scenarios and exit`;

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);
const resultsDir = path.join(benchDir, 'results');

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} takes a non-negative number, got ${value}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.list) {
    for (const s of scenarios) console.log(`${s.id.padEnd(12)} ${s.title}`);
    return 0;
  }
  const wanted = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted?.filter((id) => !scenarios.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}\n${USAGE}`);
  const selected = wanted ? scenarios.filter((s) => wanted.includes(s.id)) : scenarios;

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'mss-bench-'));
  const ctx: BenchContext = {
    durationS: positive('duration', values.duration, 10),
    warmupS: positive('warmup', values.warmup, 2),
    rounds: Math.max(1, Math.round(positive('rounds', values.rounds, 2))),
    connections: Math.max(1, Math.round(positive('connections', values.connections, 50))),
    profileDir: values.profile ? path.join(resultsDir, 'profiles', stamp) : undefined,
    repoRoot,
    runDir,
    log: (message) => console.error(`bench: ${message}`),
  };
  if (ctx.durationS <= 0) throw new Error('--duration must be above 0');

  const env = environment(repoRoot, runDir);
  const loadBefore = os.loadavg();
  ctx.log(
    `${selected.map((s) => s.id).join(', ')}: ${ctx.durationS} s measured per server in ${ctx.rounds} round(s), ` +
      `${ctx.warmupS} s warm-up, ` +
      `${ctx.connections} connections; ${env.cpus} CPUs, load average ${loadBefore[0]!.toFixed(2)}, data on ${env.dataDirFilesystem}`,
  );
  if (loadBefore[0]! > 0.5 * env.cpus)
    ctx.log('the machine is already busy: absolute figures will be low and noisy; read the ratios');

  const started = performance.now();
  const results: Record<string, ScenarioResult> = {};
  const failures: Record<string, string> = {};
  const rows: Row[] = [];
  try {
    for (const scenario of selected) {
      const t0 = performance.now();
      try {
        const result = await scenario.run(ctx);
        results[scenario.id] = result;
        rows.push(...result.rows);
        ctx.log(`${scenario.id}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures[scenario.id] = message;
        console.error(`\nbench: SCENARIO ${scenario.id} FAILED\n${message}\n`);
      } finally {
        // A failed scenario must not leave a server competing for the CPU with the next one.
        await stopAllChildren();
      }
    }
  } finally {
    await stopAllChildren();
    if (!values.keep) rmSync(runDir, { recursive: true, force: true });
  }

  const totalS = (performance.now() - started) / 1000;
  const missed = rows.filter((r) => r.met === false);
  const report = {
    at: new Date().toISOString(),
    totalSeconds: Math.round(totalS * 10) / 10,
    options: {
      durationS: ctx.durationS,
      rounds: ctx.rounds,
      warmupS: ctx.warmupS,
      connections: ctx.connections,
      only: wanted ?? null,
    },
    environment: { ...env, loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg() },
    rows,
    failures,
    details: Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.details])),
    ...(ctx.profileDir ? { profileDir: path.relative(repoRoot, ctx.profileDir) } : {}),
  };
  mkdirSync(resultsDir, { recursive: true });
  const jsonFile = path.join(resultsDir, 'latest.json');
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);

  console.log('');
  console.log(formatTable(rows));
  console.log('');
  console.log(
    `${env.cpus} CPUs (${env.cpuModel}), Node ${env.node}, data on ${env.dataDirFilesystem}; load average ` +
      `${loadBefore[0]!.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after; ${totalS.toFixed(0)} s in all. ` +
      `Load generator and server share the CPUs. JSON: ${path.relative(process.cwd(), jsonFile)}`,
  );
  if (ctx.profileDir) console.log(`CPU profiles: ${path.relative(process.cwd(), ctx.profileDir)}`);
  for (const [id, message] of Object.entries(failures)) console.log(`FAILED ${id}: ${message.split('\n')[0]}`);
  if (missed.length > 0) console.log(`targets missed: ${missed.map((r) => `${r.scenario} ${r.metric}`).join('; ')}`);
  return Object.keys(failures).length > 0 || (values.strict && missed.length > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    await stopAllChildren(1000);
    process.exit(2);
  },
);
