/**
 * A ledger with its verifiable log on a SQLite store in a temporary folder,
 * which a test may close and open again (to tamper with the file in between).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import type { Test } from 'tap';
import type { Role } from '../../src/auth/keys.js';
import { buildApp } from '../../src/http/app.js';
import { openLog, savedTreeFor } from '../../src/log/open.js';
import { startLedger } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { bearer, testKeyRing } from '../support/ledger.js';

export const tempDir = (t: Test) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

export async function openLogLedger(
  dir: string,
  options: { clock?: () => Date; witnessKeys?: string; treeThread?: 'auto' | 'always' | 'never' } = {},
) {
  const savedTree = await savedTreeFor({ DATA_DIR: dir });
  const store = openSqliteStore({
    file: path.join(dir, 'ledger.sqlite'),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const log = await openLog(
    store,
    { NODE_ENV: 'test', DATA_DIR: dir, WITNESS_KEYS: options.witnessKeys },
    undefined,
    options.clock,
    savedTree,
    options.treeThread ? { treeThread: options.treeThread } : {},
  );
  const started = await startLedger(store, {
    afterAppend: log.afterAppend,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const ledger = { ...started, log };
  const app = await buildApp(ledger, { auth: testKeyRing(), rateLimitPerMinute: 100_000 });
  const inject = (role: Role, request: InjectOptions) =>
    app.inject({ ...request, headers: { ...bearer(role), ...request.headers } });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
    await started.close();
    await log.close();
  };
  return { ledger, log, store, app, inject, close };
}
