/**
 * Builds a synthetic store for the `million` scenario, through the writer (the same rules as any
 * recorder), and prints one JSON line with what it built and how long it took.
 *
 *   node --import tsx bench/children/build-store.ts <dir> <count> <seed>
 */
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadSigner } from '../../src/log/keys.js';
import { LedgerLog } from '../../src/log/ledger-log.js';
import { checkpointStorageFor } from '../../src/log/open.js';
import { seedSynthetic, startLedger } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

const [dir, countText, seedText] = process.argv.slice(2);
if (!dir || !countText || !seedText) throw new Error('usage: build-store.ts <dir> <count> <seed>');
const count = Number(countText);
const seed = Number(seedText);
const file = path.join(dir, 'ledger.sqlite');

const started = performance.now();
const ledger = await startLedger(openSqliteStore({ file }));
let lastReport = 0;
const recorded = await seedSynthetic(ledger.writer, count, seed, (n) => {
  if (n - lastReport < 100_000) return;
  lastReport = n;
  const s = (performance.now() - started) / 1000;
  process.stderr.write(`${n.toLocaleString('en')} events in ${s.toFixed(0)} s\n`);
});
await ledger.close();
const seconds = (performance.now() - started) / 1000;

// Sign what was built (as `npm run verify -- --store --accept-tail` would), with a key kept beside
// it: a service started on a copy then finds the store matching its checkpoints.
const signed = openSqliteStore({ file });
const log = await LedgerLog.open(signed, {
  signer: loadSigner({ NODE_ENV: 'development', DATA_DIR: dir }),
  storage: await checkpointStorageFor(signed),
});
await log.acceptTail();
await log.close();
rmSync(path.join(dir, 'log.tree'), { force: true });
await signed.close();

const db = new Database(file, { readonly: true, fileMustExist: true });
const facts = db
  .prepare(
    'SELECT COUNT(*) AS events, MAX(position) AS head, MIN(recorded_at) AS firstRecordedAt, MAX(recorded_at) AS lastRecordedAt, MIN(occurred_at) AS firstOccurredAt, MAX(occurred_at) AS lastOccurredAt FROM events',
  )
  .get() as Record<string, unknown>;
db.close();
console.log(JSON.stringify({ recorded, seconds, bytes: statSync(file).size, ...facts }));
