/**
 * The SQLite ceiling on this disk: a raw better-sqlite3 append loop in the
 * bench process, WAL with synchronous=FULL (a commit is fsynced), one JSON row
 * per event. Once with 100 rows per transaction, once with one row per
 * transaction (which is simply commits, i.e. fsyncs, per second).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { donation } from '../lib/bodies.js';
import { freshDir } from '../lib/child.js';
import { row, type BenchContext, type Scenario } from '../lib/types.js';

const TITLE = 'SQLite ceiling (in-process)';

interface LoopResult {
  rowsPerTx: number;
  seconds: number;
  rows: number;
  transactions: number;
  rowsPerSec: number;
  txPerSec: number;
}

function appendLoop(ctx: BenchContext, rowsPerTx: number, seconds: number): LoopResult {
  const db = new Database(path.join(freshDir(ctx, `ceiling-${rowsPerTx}`), 'ceiling.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY, data TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO events (data) VALUES (?)');
    const payloads = Array.from({ length: 1000 }, (_, i) => JSON.stringify(donation(i)));
    let next = 0;
    const commit = db.transaction((n: number) => {
      for (let i = 0; i < n; i++) insert.run(payloads[next++ % payloads.length]);
    });
    const started = performance.now();
    const end = started + seconds * 1000;
    let transactions = 0;
    while (performance.now() < end) {
      commit(rowsPerTx);
      transactions++;
    }
    const elapsed = (performance.now() - started) / 1000;
    return {
      rowsPerTx,
      seconds: elapsed,
      rows: transactions * rowsPerTx,
      transactions,
      rowsPerSec: (transactions * rowsPerTx) / elapsed,
      txPerSec: transactions / elapsed,
    };
  } finally {
    db.close();
  }
}

export const sqliteCeiling: Scenario = {
  id: 'sqlite',
  title: TITLE,
  async run(ctx) {
    // Half the HTTP duration each: a tight loop settles quickly.
    const seconds = Math.max(1, ctx.durationS / 2);
    ctx.log(`sqlite: raw append loop, 100 rows/tx, ${seconds} s`);
    const batched = appendLoop(ctx, 100, seconds);
    ctx.log(`sqlite: raw append loop, 1 row/tx, ${seconds} s`);
    const single = appendLoop(ctx, 1, seconds);
    return {
      rows: [
        row({ scenario: TITLE, metric: 'rows/s, 100 rows/tx', unit: '/s', ours: batched.rowsPerSec }),
        row({ scenario: TITLE, metric: 'rows/s, 1 row/tx (commits/s)', unit: '/s', ours: single.rowsPerSec }),
      ],
      details: { batched, single },
    };
  },
};
