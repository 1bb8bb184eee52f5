/**
 * A ledger on a fresh temporary SQLite store, torn down with the test, and
 * its HTTP app guarded by one known key per role.
 *
 *   const { app, inject, keys } = await testLedger(t);
 *   await inject('recorder', { method: 'POST', url: '/v1/events', payload: event });
 *   await app.inject({ method: 'GET', url: '/health' }); // public routes need no key
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import type { Test } from 'tap';
import { KeyRing, ROLES, type Role } from '../../src/auth/keys.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import { seedMissionHistory, startLedger, type Ledger } from '../../src/service.js';
import type { EventStore } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

/** One key per role; the principal of each is `test-<role>`. */
export const TEST_KEYS: Record<Role, string> = {
  recorder: 'test-recorder-0123456789abcdef0123456789abcdef',
  auditor: 'test-auditor-0123456789abcdef0123456789abcdef',
  viewer: 'test-viewer-0123456789abcdef0123456789abcdef0',
};

export const testKeyRing = () =>
  new KeyRing({ keys: ROLES.map((role) => ({ name: `test-${role}`, role, key: TEST_KEYS[role] })) });

export const bearer = (role: Role) => ({ authorization: `Bearer ${TEST_KEYS[role]}` });

export async function testLedger(
  t: Test,
  options: {
    seed?: boolean;
    clock?: () => Date;
    app?: Partial<AppOptions>;
    /** Puts something between the ledger and its store (a store that fails on demand, say). */
    wrapStore?: <S extends EventStore>(store: S) => EventStore;
    storeTimeoutMs?: number;
  } = {},
) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-test-'));
  const file = path.join(dir, 'ledger.sqlite');
  const real = openSqliteStore({ file });
  const store = options.wrapStore ? options.wrapStore(real) : real;
  const ledger: Ledger = await startLedger(store, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.storeTimeoutMs ? { storeTimeoutMs: options.storeTimeoutMs } : {}),
  });
  if (options.seed) await seedMissionHistory(ledger);
  const app = await buildApp(ledger, { auth: testKeyRing(), rateLimitPerMinute: 100_000, ...options.app });
  t.teardown(async () => {
    await app.close();
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** `app.inject` with the key of this role. */
  const inject = (role: Role, request: InjectOptions) =>
    app.inject({ ...request, headers: { ...bearer(role), ...request.headers } });
  return { ledger, app, store: real, file, dir, keys: TEST_KEYS, inject };
}
