/**
 * The verifiable log on a store of a million events, for the `log` scenario. Prints one JSON line:
 * the first open (every leaf recomputed from the store), the reopen after a clean stop (the saved
 * tree, used when the store file's size and time are unchanged), proof latencies at the full size, and the
 * offline verifier's rate on the store's export.
 *
 *   node --import tsx bench/children/log-million.ts <dir with ledger.sqlite>
 */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { memoryCheckpoints } from '../../src/log/checkpoints.js';
import { LedgerLog } from '../../src/log/ledger-log.js';
import { consistencyProof, inclusionProof } from '../../src/log/merkle.js';
import { loadTree } from '../../src/log/tree-file.js';
import { generateSignerKey, parseSignerKey } from '../../src/log/note.js';
import { treeOfExport } from '../../src/log/verify.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

const [dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: log-million.ts <dir>');
const file = path.join(dir, 'ledger.sqlite');
const treeFile = path.join(dir, 'log.tree');
const signer = parseSignerKey(generateSignerKey('bench.example/log'));
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

let store = openSqliteStore({ file });
let started = process.hrtime.bigint();
let cpu = process.cpuUsage();
const cpuSeconds = () => {
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1e6;
};
const first = await LedgerLog.open(store, { signer, storage: memoryCheckpoints(), treeFile });
const firstOpenS = seconds(started);
const firstOpenCpuS = cpuSeconds();
const events = first.tree.size;
// A clean stop: the store closes, then the log saves its tree with the file's digest.
await store.close();
started = process.hrtime.bigint();
await first.close();
const saveS = seconds(started);

// A restart: the saved tree is loaded (the file hashed) before the store opens.
started = process.hrtime.bigint();
cpu = process.cpuUsage();
const savedTree = await loadTree(treeFile, file);
store = openSqliteStore({ file });
const log = await LedgerLog.open(store, { signer, storage: memoryCheckpoints(), treeFile, savedTree });
const reopenS = seconds(started);
const reopenCpuS = cpuSeconds();
if (log.source !== 'saved-tree') throw new Error('the reopen did not use the saved tree');

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const proofTimes = { inclusion: [] as number[], consistency: [] as number[] };
let seed = 7;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};
for (let i = 0; i < 20_000; i++) {
  const size = events - random(1000);
  let t0 = performance.now();
  inclusionProof(log.tree, random(size), size);
  proofTimes.inclusion.push(performance.now() - t0);
  t0 = performance.now();
  consistencyProof(log.tree, 1 + random(size), size);
  proofTimes.consistency.push(performance.now() - t0);
}
const proofs = Object.fromEntries(
  Object.entries(proofTimes).map(([name, times]) => {
    times.sort((a, b) => a - b);
    return [name, { p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99), maxMs: times[times.length - 1] }];
  }),
);

// The export as GET /v1/events/export writes the whole log (the store's lines, made from its rows),
// then the offline verifier's pass over it.
const exportFile = path.join(dir, 'export.ndjson');
started = process.hrtime.bigint();
const out = createWriteStream(exportFile);
for (let after = 0; ;) {
  const { positions, lines } = await store.readExportLines(after, 5000);
  if (positions.length === 0) break;
  if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  after = positions[positions.length - 1]!;
}
out.end();
await once(out, 'finish');
const exportS = seconds(started);
started = process.hrtime.bigint();
cpu = process.cpuUsage();
const verified = await treeOfExport(exportFile);
const verifyS = seconds(started);
const verifyCpuS = cpuSeconds();
if (!Buffer.from(verified.tree.root()).equals(Buffer.from(log.tree.root()))) throw new Error('export root differs');
await log.close();
await store.close();

console.log(
  JSON.stringify({
    events,
    firstOpenS,
    firstOpenEventsPerS: events / firstOpenS,
    firstOpenCpuS,
    saveS,
    reopenS,
    reopenCpuS,
    proofs,
    exportS,
    verifyS,
    verifyEventsPerS: events / verifyS,
    verifyCpuS,
    verifyEventsPerCpuS: events / verifyCpuS,
  }),
);
