/**
 * `npm run seed`: records the mission's history (idempotent: its ids are fixed).
 * `npm run seed -- --synthetic N [--seed S]`: appends N generated events for
 * scale tests and benchmarks, through the same rules as any recorder.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../config.js';
import { openStore, seedMissionHistory, seedSynthetic, startLedger } from '../service.js';

const BATCH = 1000;

async function main() {
  const { values } = parseArgs({
    options: { synthetic: { type: 'string' }, seed: { type: 'string', default: '1' } },
  });
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL });
  const store = await openStore(config);
  const ledger = await startLedger(store);
  try {
    if (values.synthetic !== undefined) {
      const count = Number(values.synthetic);
      if (!Number.isInteger(count) || count <= 0) throw new Error('--synthetic takes a positive whole number');
      const started = Date.now();
      const recorded = await seedSynthetic(ledger.writer, count, Number(values.seed), (n) => {
        if (n % 100_000 < BATCH) log.info({ recorded: n }, 'synthetic events recorded');
      });
      log.info({ recorded, seconds: (Date.now() - started) / 1000 }, 'synthetic history recorded');
    } else {
      const seeded = await seedMissionHistory(ledger);
      log.info(seeded, seeded.recorded === 0 ? 'the mission history was already recorded' : 'mission history recorded');
    }
  } finally {
    await ledger.close();
  }
}

// Only as a command: importing this module must never touch a store.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
