/**
 * The typed client at work: records a donation, then reads the inventory
 * that includes it (read-your-writes with minPosition). Runs against a
 * ledger holding the seeded mission history (`npm run dev` seeds it):
 *
 *   LEDGER_URL=http://localhost:3000 LEDGER_KEY=<a recorder key> npm run example
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ledgerClient } from '../clients/typescript/index.js';

export interface ExampleResult {
  status: number;
  position: number;
  before: number;
  after: number;
}

const onHand = (
  inventory: { holders: { holder: string; items: { itemType: string; quantity: number }[] }[] },
  holder: string,
  itemType: string,
) => inventory.holders.find((h) => h.holder === holder)?.items.find((i) => i.itemType === itemType)?.quantity ?? 0;

export async function recordAndRead(baseUrl: string, apiKey: string, log = console.log): Promise<ExampleResult> {
  const ledger = ledgerClient(baseUrl, apiKey);
  const first = await ledger.GET('/v1/inventory');
  if (!first.data) throw new Error(`reading the inventory failed: ${JSON.stringify(first.error)}`);
  const before = onHand(first.data, 'mss', 'firearm-assorted');

  const posted = await ledger.POST('/v1/events', {
    body: {
      id: randomUUID(),
      type: 'DonationReceived',
      occurredAt: new Date().toISOString().slice(0, 10),
      data: {
        donor: 'us-inl',
        recipient: 'mss',
        lines: [{ itemType: 'firearm-assorted', quantity: { value: 10, precision: 'exact' } }],
      },
      source: { document: 'examples/record-and-read.ts (an example, not a real donation)' },
    },
  });
  if (!posted.data) throw new Error(`recording failed: ${JSON.stringify(posted.error)}`);
  log(`recorded ${posted.data.events[0]?.type} at position ${posted.data.position} (HTTP ${posted.response.status})`);

  // Wait until the projections include the donation: the position the POST answered.
  const next = await ledger.GET('/v1/inventory', { params: { query: { minPosition: posted.data.position } } });
  if (!next.data) throw new Error(`reading the inventory failed: ${JSON.stringify(next.error)}`);
  const after = onHand(next.data, 'mss', 'firearm-assorted');
  log(`mss holds ${after} firearm-assorted (was ${before})`);
  return { status: posted.response.status, position: posted.data.position, before, after };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.LEDGER_URL ?? 'http://localhost:3000';
  const key = process.env.LEDGER_KEY;
  if (!key) {
    console.error('set LEDGER_KEY to a recorder key (npm run dev prints development keys)');
    process.exit(2);
  }
  await recordAndRead(url, key);
}
