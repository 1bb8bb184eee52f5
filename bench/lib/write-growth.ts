/**
 * Does writing get slower as the history grows? Single and batch-100 durable POSTs on a service
 * holding a long history, beside the same on a service on the small seeded store, taking turns in
 * one run (compareLoads): the ratio is the growth figure (issue 13: ≥ 0.9 at 1M, ≥ 0.8 at 10M).
 *
 * The bodies are the write scenarios' donations (dated March 2025: backdated into the middle of a
 * synthetic history, the costly case for the time index), with a donor each store has registered.
 */
import { batchBodies, singleBodies, DONOR } from './bodies.js';
import { freshDir, startService, type ChildHandle } from './child.js';
import { compareLoads, type LoadSummary } from './compare.js';
import { LoadFailure, probe } from './load.js';
import type { BenchContext } from './types.js';

/** A donor the synthetic history registers (seeds/synthetic.ts), for the long store's bodies. */
const SYNTHETIC_DONOR = 'us-dod';
const BATCH = 100;

const withDonor = (bodies: string[], donor: string) =>
  bodies.map((body) => body.replaceAll(`"donor":"${DONOR}"`, `"donor":"${donor}"`));

/** Both stores' figures, or why the comparison could not be measured (no answer in time on a starved machine, say). */
export type GrowthPair = { long: LoadSummary; seeded: LoadSummary } | { failed: string };

export interface WriteGrowth {
  single: GrowthPair;
  batch: GrowthPair;
}

/** A failed load is reported as such, so that the rest of the scenario (restarts, memory) is still measured. */
async function measured(run: () => Promise<Record<string, LoadSummary>>): Promise<GrowthPair> {
  try {
    const result = await run();
    return { long: result.long!, seeded: result.seeded! };
  } catch (error) {
    if (error instanceof LoadFailure) return { failed: error.message };
    throw error;
  }
}

/** Runs both comparisons against `long` (a started service on the long store) and a seeded service of its own. */
export async function writeGrowth(ctx: BenchContext, id: string, long: ChildHandle): Promise<WriteGrowth> {
  const seeded = await startService(ctx, {
    name: `${id}-seeded`,
    dataDir: freshDir(ctx, `${id}-seeded`),
  });
  try {
    const bodies = {
      single: { seeded: singleBodies(16), long: withDonor(singleBodies(16), SYNTHETIC_DONOR) },
      batch: { seeded: batchBodies(4, BATCH), long: withDonor(batchBodies(4, BATCH), SYNTHETIC_DONOR) },
    };
    for (const [server, body] of [
      [seeded, bodies.single.seeded[0]!],
      [long, bodies.single.long[0]!],
    ] as const)
      await probe(`${server.url}/v1/events`, { method: 'POST', body }, [201]);
    const load = (server: ChildHandle, kind: 'single' | 'batch', store: 'seeded' | 'long') => ({
      key: store,
      server,
      load: {
        path: '/v1/events',
        method: 'POST' as const,
        bodies: bodies[kind][store],
        connections: ctx.connections,
        ...(kind === 'batch' ? { timeoutS: 30 } : {}),
      },
    });
    const single = await measured(() =>
      compareLoads(ctx, `${id}-single`, [load(long, 'single', 'long'), load(seeded, 'single', 'seeded')]),
    );
    const batch = await measured(() =>
      compareLoads(ctx, `${id}-batch`, [load(long, 'batch', 'long'), load(seeded, 'batch', 'seeded')]),
    );
    return { single, batch };
  } finally {
    await seeded.stop(60_000);
  }
}

export const GROWTH_BATCH = BATCH;
