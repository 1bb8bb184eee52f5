/** A ledger on a fresh temporary SQLite store, torn down with the test. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { buildApp } from '../../src/http/app.js';
import { seedMissionHistory, startLedger, type Ledger } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

export async function testLedger(t: Test, options: { seed?: boolean; clock?: () => Date } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-test-'));
  const file = path.join(dir, 'ledger.sqlite');
  const store = openSqliteStore({ file });
  const ledger: Ledger = await startLedger(store, options.clock ? { clock: options.clock } : {});
  if (options.seed) await seedMissionHistory(ledger);
  const app = await buildApp(ledger);
  t.teardown(async () => {
    await app.close();
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ledger, app, store, file, dir };
}
