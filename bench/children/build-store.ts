/**
 * Builds a synthetic store for the `million` scenario, through the writer (the same rules as any
 * recorder), and prints one JSON line with what it built and how long it took.
 *
 *   node --import tsx bench/children/build-store.ts <dir> <count> <seed>
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
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

const db = new Database(file, { readonly: true, fileMustExist: true });
const facts = db
  .prepare(
    'SELECT COUNT(*) AS events, MAX(position) AS head, MIN(recorded_at) AS firstRecordedAt, MAX(recorded_at) AS lastRecordedAt, MIN(occurred_at) AS firstOccurredAt, MAX(occurred_at) AS lastOccurredAt FROM events',
  )
  .get() as Record<string, unknown>;
db.close();
console.log(JSON.stringify({ recorded, seconds, bytes: statSync(file).size, ...facts }));
