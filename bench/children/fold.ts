/**
 * One measured pass over a store file, in a process of its own so its memory is its own. Prints
 * one JSON line.
 *
 *   node --expose-gc dist/bench/children/fold.js <mode> <ledger.sqlite> [checkpoint file]   (built by bench/tsconfig.baselines.json)
 *
 * Modes, each adding a layer to the one before:
 *   raw        better-sqlite3 alone: SELECT data, metadata ORDER BY position, JSON.parse of both
 *   plain      raw, and a plain fold of what the projections answer for "now" (the catalog, the
 *              running totals, shipments, custody) with the projector's own evolve functions, on
 *              one thread: no time index, no recording times, no checkpoint, no worker. What a
 *              straightforward event-sourced service does to rebuild, and the rebuild's baseline
 *   store      the embedded store's reads: readAll pages of 1,000 (every column, RecordedEvent objects)
 *   projector  a fresh Projector from position 0 (what `npm run rebuild` does), then the checkpoint
 *              export + v8 serialisation + fsync `npm run rebuild` writes after it
 */
import { readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { upcast } from '../../events/index.js';
import type { FoldEvent } from '../../events/postings.js';
import { applyDeltas, type Counters } from '../../events/counters.js';
import { emptyCatalog, evolveCatalog } from '../../projections/catalog.js';
import { emptyCustody, evolveCustody } from '../../projections/custody.js';
import { emptyShipmentHistories, evolveShipmentHistories, ShipmentLookups } from '../../projections/shipments.js';
import { LEDGER_STREAM } from '../../src/ledger/book.js';
import { Projector, SUMS, type SumName } from '../../src/read/projector.js';
import { sumDeltas } from '../../src/read/sums.js';
import { saveProjectorCheckpoint } from '../../src/service.js';
import { FOLD_COLUMNS, fromFoldRow, openSqliteStore, type FoldRow } from '../../src/store/sqlite.js';

const [mode, file, checkpointFile] = process.argv.slice(2);
if (!mode || !file) throw new Error('usage: fold.ts raw|plain|store|projector <ledger.sqlite> [checkpoint file]');

const gc = (globalThis as { gc?: () => void }).gc;
const memory = () => {
  gc?.();
  const m = process.memoryUsage();
  return { rssMiB: m.rss / 2 ** 20, heapUsedMiB: m.heapUsed / 2 ** 20, externalMiB: m.external / 2 ** 20 };
};
/** Peak resident memory of this process (Linux); undefined elsewhere. */
const peakRssMiB = () => {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
};

const before = memory();
const cpu0 = process.cpuUsage();
let events = 0;
let seconds = 0;
const extra: Record<string, unknown> = {};

if (mode === 'raw') {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const started = performance.now();
  let checksum = 0;
  for (const row of db.prepare('SELECT data, metadata FROM events ORDER BY position').iterate() as Iterable<{
    data: string;
    metadata: string;
  }>) {
    const data = JSON.parse(row.data) as unknown;
    const metadata = JSON.parse(row.metadata) as unknown;
    // Touch the results so nothing is optimised away.
    if (data !== null && metadata !== null) checksum++;
    events++;
  }
  seconds = (performance.now() - started) / 1000;
  extra.checksum = checksum;
  db.close();
} else if (mode === 'plain') {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  // The columns a fold needs, as arrays (no object per row), read as the embedded store's lean reads read them.
  const byId = db.prepare(`SELECT ${FOLD_COLUMNS} FROM events WHERE id = ?`).raw(true);
  const started = performance.now();
  const catalog = emptyCatalog();
  const now: Record<SumName, Counters> = { inventory: new Map(), personnel: new Map(), donors: new Map() };
  const shipmentHistories = emptyShipmentHistories();
  const custody = emptyCustody();
  const shipments = new ShipmentLookups(shipmentHistories);
  const lookup = (id: string) => shipments.get(id);
  const scan = db.prepare(`SELECT ${FOLD_COLUMNS}, metadata FROM events ORDER BY position`).raw(true);
  for (const row of scan.iterate() as Iterable<[...FoldRow, string]>) {
    const stored = fromFoldRow(row as unknown as FoldRow); // parses data
    JSON.parse(row[8]); // parsed as the raw scan parses it: this mode adds the fold alone
    events++;
    if (stored.stream !== LEDGER_STREAM) continue;
    let event: FoldEvent = upcast(stored);
    if (event.type === 'EntryReversed') {
      const target = byId.get(event.data.eventId) as FoldRow | undefined;
      if (target) event = { ...event, target: upcast(fromFoldRow(target)) };
    }
    // The projector's fold, less its time indexes: the same order, the same functions.
    evolveCatalog(catalog, event);
    for (const name of SUMS) applyDeltas(now[name], sumDeltas(name, event, lookup, catalog));
    evolveCustody(custody, event, lookup);
    shipments.evolve(event);
    evolveShipmentHistories(shipmentHistories, event);
  }
  seconds = (performance.now() - started) / 1000;
  extra.nowDigest = digestOf(now);
  db.close();
} else if (mode === 'store') {
  const store = openSqliteStore({ file });
  const started = performance.now();
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, limit: 1000 });
    if (page.length === 0) break;
    events += page.length;
    after = page[page.length - 1]!.globalPosition;
  }
  seconds = (performance.now() - started) / 1000;
  await store.close();
} else if (mode === 'projector') {
  const store = openSqliteStore({ file });
  const projector = new Projector(store);
  let folded = 0;
  const started = performance.now();
  await projector.start();
  seconds = (performance.now() - started) / 1000;
  folded = projector.state.position;
  events = folded;
  extra.nowDigest = digestOf(projector.state.now);
  await projector.close();
  const afterFold = memory();
  extra.afterFold = afterFold;
  extra.indexFacts = Object.fromEntries(
    Object.entries(projector.indexes).map(([name, index]) => [name, describe(index)]),
  );
  if (checkpointFile) {
    const t0 = performance.now();
    const bytes = await saveProjectorCheckpoint(checkpointFile, projector, store);
    extra.checkpoint = { seconds: (performance.now() - t0) / 1000, bytes, fileBytes: statSync(checkpointFile).size };
  }
  await store.close();
} else throw new Error(`unknown mode ${mode}`);

const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    mode,
    events,
    seconds,
    eventsPerSec: events / seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    memoryBefore: before,
    memoryAfter: memory(),
    peakRssMiB: peakRssMiB(),
    ...extra,
  }),
);

/** What the projections answer for "now", as a digest: the plain fold and the rebuild must agree on it. */
function digestOf(now: Record<SumName, Counters>): string {
  const sorted = SUMS.map((name) => [name, [...now[name]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/** Whatever sizes a TimeIndex exposes, without depending on its internals. */
function describe(index: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(index)) {
    if (Array.isArray(value) || ArrayBuffer.isView(value)) out[key] = (value as { length: number }).length;
    else if (value instanceof Map || value instanceof Set) out[key] = value.size;
    else if (typeof value === 'number') out[key] = value;
  }
  return out;
}
