/**
 * The embedded store at the edges mutation testing found untested
 * (test/mutation/README.md): what a refused append says, the cache of recent
 * commits when another connection writes to the same file, replays inside a
 * group, and a subscription after its handler failed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { RecordedEvent } from '../../events/index.js';
import { IdempotencyConflictError } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { event, events } from './contract.js';

async function store(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'mss-store-edges-'));
  const file = join(dir, 'events.db');
  const s = openSqliteStore({ file });
  t.teardown(async () => {
    await s.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { store: s, file, dir };
}
const until = async (done: () => boolean) => {
  for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
};
const positions = (list: readonly RecordedEvent[]) => list.map((e) => e.globalPosition);

t.test('a malformed append says what is wrong with it, and stores nothing', async (t) => {
  const { store: s } = await store(t);
  await t.rejects(s.append('ledger', [], 'any'), /append needs at least one event/);
  await t.rejects(s.append('ledger', events(1), -1), /'any', 'no-stream' or a non-negative integer, got -1/);
  await t.rejects(s.append('ledger', events(1), 1.5), /non-negative integer, got 1.5/);
  await t.rejects(s.append('ledger', [event({ id: '' })], 'any'), /every event needs an id/);
  await t.rejects(s.append('ledger', [event({ id: 7 as unknown as string })], 'any'), /every event needs an id/);
  t.equal(await s.headPosition(), 0, 'nothing stored');
});

t.test('an event refused at insert fails with the database’s own error, not a conflict', async (t) => {
  const { store: s } = await store(t);
  const error = await s.append('ledger', [event({ recordedBy: null as unknown as string })], 'any').catch((e) => e);
  t.notOk(error instanceof IdempotencyConflictError, 'not an idempotency conflict');
  t.match(error, { message: /NOT NULL/ }, 'the constraint SQLite names');
});

t.test('an event with no data is stored as null', async (t) => {
  const { store: s } = await store(t);
  const [stored] = (await s.append('ledger', [event({ data: undefined })], 'any')).events;
  t.same((await s.readByIds([stored!.id]))[0]?.data, null);
});

t.test('another connection writing to the same file: reads see its events too', async (t) => {
  const { store: a, file } = await store(t);
  const b = openSqliteStore({ file });
  t.teardown(() => b.close());
  await a.append('ledger', events(3), 'any');
  await b.append('ledger', events(2), 'any');
  await a.append('ledger', events(3), 'any');
  t.same(positions(await a.readAll()), [1, 2, 3, 4, 5, 6, 7, 8], 'every event, from the start');
  t.same(positions(await a.readAll({ after: 3, limit: 3 })), [4, 5, 6], 'and from the middle');
});

t.test('a retry is answered in stored order, whatever order it lists the events in', async (t) => {
  const { store: s } = await store(t);
  const batch = events(3);
  const original = await s.append('ledger', batch, 'no-stream');
  const replay = await s.append('ledger', [...batch].reverse(), 'any');
  t.equal(replay.replayed, true);
  t.same(positions(replay.events), positions(original.events));
  t.equal(replay.lastPosition, original.lastPosition);
});

t.test('a replay in a group with a new append: reads and subscribers see everything after', async (t) => {
  const { store: s } = await store(t);
  const first = events(2);
  await s.append('ledger', first, 'no-stream');
  await s.append('ledger', events(2), 'any');
  const seen: number[] = [];
  const subscription = s.subscribeToAll(0, { onEvent: (e) => void seen.push(e.globalPosition) });
  t.teardown(() => subscription.close());
  await until(() => seen.length === 4);
  // The same tick: one group holding a replay of the first batch and a new batch.
  const [replayed, fresh] = await Promise.all([s.append('ledger', first, 'any'), s.append('ledger', events(1), 'any')]);
  t.equal(replayed.replayed, true);
  t.equal(fresh.lastPosition, 5);
  await until(() => seen.length === 5);
  t.same(seen, [1, 2, 3, 4, 5], 'the subscriber got the new event');
  t.same(positions(await s.readAll({ after: 0 })), [1, 2, 3, 4, 5], 'a read from before the replayed batch sees all');
});

t.test('a subscription is caught up once; after its handler fails it delivers nothing more', async (t) => {
  const { store: s } = await store(t);
  await s.append('ledger', events(2), 'any');
  const caughtUp: number[] = [];
  const seen: number[] = [];
  const live = s.subscribeToAll(0, {
    onEvent: (e) => void seen.push(e.globalPosition),
    onCaughtUp: (p) => void caughtUp.push(p),
  });
  t.teardown(() => live.close());
  await until(() => caughtUp.length > 0);
  await s.append('ledger', events(2), 'any');
  await until(() => seen.length === 4);
  await s.append('ledger', events(1), 'any');
  await until(() => seen.length === 5);
  t.same(caughtUp, [2], 'onCaughtUp once, at the head it first reached');

  const calls: number[] = [];
  const errors: Error[] = [];
  const failing = s.subscribeToAll(0, {
    onEvent: (e) => {
      calls.push(e.globalPosition);
      throw new Error('projection bug');
    },
    onError: (error) => void errors.push(error),
  });
  t.teardown(() => failing.close());
  await until(() => errors.length > 0);
  await s.append('ledger', events(2), 'any');
  await new Promise((r) => setTimeout(r, 50));
  t.same(calls, [1], 'the handler was called once, then never again');
  t.equal(errors.length, 1);
  t.match(errors[0], { message: 'projection bug' });
});

t.test('a reader of a missing file refuses, and does not create it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mss-store-edges-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const missing = join(dir, 'missing.db');
  t.throws(() => openSqliteStore({ file: missing, readonly: true }));
  t.notOk(existsSync(missing), 'no file was made');
});
