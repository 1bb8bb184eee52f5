/**
 * `npm run seed`: records the mission's history (idempotent: its ids are fixed).
 * `npm run seed -- --synthetic N [--seed S]`: appends N generated events for
 * scale tests and benchmarks, through the same rules as any recorder.
 */
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config.js';
import { openStore, seedMissionHistory, seedSynthetic, startLedger } from '../service.js';
import { parseFlags, runCommand, UsageError } from './command.js';

const BATCH = 1000;

const USAGE = `Usage:
  npm run seed                                   records the mission's history (again: nothing new, its ids are fixed)
  npm run seed -- --synthetic N [--seed S]       appends N generated events (scale tests, benchmarks)

The events pass through the same rules as any recorder's. The ledger is DATA_DIR (default ./data; created if
missing, like the service's) or EVENTSTORE_CONNECTION_STRING. S (default 1) makes the generated history
repeatable. Exit codes: 0 done, 2 bad arguments or configuration, 1 failure.
`;

const wholeNumber = (value: string, flag: string, min: number) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${flag} ${JSON.stringify(value)}: must be a whole number of at least ${min}`);
  return n;
};

/** Every argument checked before the store is opened. Undefined for --help. */
export function parseSeedArgs(args: string[]): { synthetic: number | undefined; seed: number } | undefined {
  const values = parseFlags(args, {
    synthetic: { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return undefined;
  if (values.seed !== undefined && values.synthetic === undefined)
    throw new UsageError('--seed S is for --synthetic N only: the mission history is always the same');
  return {
    synthetic: values.synthetic === undefined ? undefined : wholeNumber(values.synthetic, '--synthetic', 1),
    seed: values.seed === undefined ? 1 : wholeNumber(values.seed, '--seed', 0),
  };
}

async function main() {
  const request = parseSeedArgs(process.argv.slice(2));
  if (!request) {
    process.stdout.write(USAGE);
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`invalid configuration: ${error.problems.join('; ')}`);
    throw error;
  }
  const log = pino({ level: config.LOG_LEVEL });
  const store = await openStore(config);
  const ledger = await startLedger(store);
  try {
    if (request.synthetic !== undefined) {
      const started = Date.now();
      const recorded = await seedSynthetic(ledger.writer, request.synthetic, request.seed, (n) => {
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
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) runCommand(main);
