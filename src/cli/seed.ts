/**
 * `npm run seed`: records the mission's history (idempotent: its ids are fixed).
 * `npm run seed -- --synthetic N [--seed S]`: appends N generated events for
 * scale tests and benchmarks, through the same rules as any recorder.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { IncomingEvent } from '../../events/index.js';
import { syntheticHistory } from '../../seeds/synthetic.js';
import { loadConfig } from '../config.js';
import { toProposal } from '../http/routes/events.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { openStore, seedMissionHistory, startLedger } from '../service.js';

const BATCH = 1000;

/**
 * Registrations the store already has are skipped, so synthetic data can sit
 * beside the real history (the writer's book is current between batches).
 */
const alreadyRegistered = (writer: LedgerWriter, event: IncomingEvent) =>
  (event.type === 'PartyRegistered' && writer.book.parties.has(event.data.partyId)) ||
  (event.type === 'ItemTypeRegistered' && writer.book.itemTypes.has(event.data.itemType));

export async function seedSynthetic(
  writer: LedgerWriter,
  count: number,
  seed: number,
  onProgress?: (n: number) => void,
) {
  let batch: IncomingEvent[] = [];
  let recorded = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await writer.submit({ proposals: batch.map(toProposal), recordedBy: 'seed:synthetic' });
    recorded += result.events.length;
    batch = [];
    onProgress?.(recorded);
  };
  for (const event of syntheticHistory(count, { seed })) {
    if (alreadyRegistered(writer, event)) continue;
    batch.push(event);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return recorded;
}

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

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
