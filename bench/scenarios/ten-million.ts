/**
 * A history of 10,000,000 synthetic events (issue 13: about one ledger for all UN peacekeeping
 * logistics): the million scenario's measurements on a store ten times longer, built once into
 * bench/.cache/ten-million/ and reused. Memory must not grow faster than the history: compare its
 * "bytes per event" row with the million's.
 */
import { bigStoreScenario } from './million.js';

export const tenMillion = bigStoreScenario({
  id: 'ten-million',
  title: '10M events',
  events: 10_000_000,
  seed: 1,
  targets: { p50Ms: 25, p99Ms: 50, rssMB: 2500, restartMs: 10_000, writeGrowthRatio: 0.8 },
  readyTimeoutMs: 3_600_000,
});
