/**
 * The embedded store where mutation testing found behaviours no test held (test/mutation/README.md):
 * a snapshot of a cleanly closed file read into memory, closing while a subscriber's handler is still at work,
 * a replay arriving while a subscriber catches up across pages, a failed subscription nobody
 * listens to, and what a single-id lookup or a contradictory fold filter answers; a group whose
 * transaction SQLite abandons, a signer that fails, a read the driver refuses.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { StoreFault } from '../../src/store/faults.js';
import type { Subscription } from '../../src/store/port.js';
import { openSqliteStore, ROWS_RUN } from '../../src/store/sqlite.js';
import { readOnlyFile } from '../support/read-only-file.js';
import { events } from './contract.js';

async function tempDir(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'mss-store-lifecycle-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
/** The verifiable log's table (src/log/checkpoints.ts makes it), for a store that seals its groups. */
const CHECKPOINTS_TABLE =
  'CREATE TABLE log_checkpoints (tree_size INTEGER PRIMARY KEY, root_hash TEXT NOT NULL, issued_at TEXT NOT NULL, note TEXT NOT NULL)';
const tick = () => new Promise((r) => setTimeout(r, 10));
const until = async (done: () => boolean) => {
  for (let i = 0; i < 400 && !done(); i++) await tick();
};

t.test('a snapshot reads the file as it was when opened, refuses writes and names no file', async (t) => {
  const file = join(await tempDir(t), 'events.db');
  const before = openSqliteStore({ file });
  await before.append('ledger', events(3), 'no-stream');
  await before.close();
  const snapshot = openSqliteStore({ file, readonly: 'snapshot' });
  t.teardown(() => snapshot.close());
  t.equal(snapshot.file, ':memory:', 'no file another thread could open');
  const live = openSqliteStore({ file });
  t.teardown(() => live.close());
  t.equal(live.file, file);
  await live.append('ledger', events(2), 'any');
  t.equal(await snapshot.headPosition(), 3, 'later appends to the file are not in the snapshot');
  t.same(
    (await snapshot.readAll()).map((e) => e.globalPosition),
    [1, 2, 3],
  );
  const refused = await snapshot.append('ledger', events(1), 'any').catch((e: unknown) => e);
  t.type(refused, StoreFault, 'an append is refused as a store fault');
  t.equal((refused as StoreFault).fault, 'store-read-only');
  t.equal(await snapshot.headPosition(), 3);
});

t.test('a reader leaves the store file as it found it, even with commits still in the write-ahead log', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'events.db');
  const writer = openSqliteStore({ file });
  await writer.append('ledger', events(5), 'no-stream');
  // The files as a crash would leave them: the commits in the WAL, not yet in the main file.
  const copy = join(dir, 'copy.db');
  await copyFile(file, copy);
  await copyFile(`${file}-wal`, `${copy}-wal`);
  await writer.close();
  const before = { main: await readFile(copy), wal: await readFile(`${copy}-wal`) };
  t.ok(before.wal.length > 0, 'the commits are in the WAL');
  const reader = openSqliteStore({ file: copy, readonly: true });
  t.equal(await reader.headPosition(), 5, 'the reader sees them');
  await reader.close();
  t.same(await readFile(copy), before.main, 'the main file is untouched: no checkpoint folded the WAL into it');
  t.same(await readFile(`${copy}-wal`), before.wal, 'and the WAL is where it was');
});

t.test('a file the process may not write is refused for writing, naming it, and opens for reading', async (t) => {
  const file = join(await tempDir(t), 'events.db');
  const before = openSqliteStore({ file });
  await before.append('ledger', events(2), 'no-stream');
  await before.close();
  if (!readOnlyFile(t, file))
    return t.plan(0, 'cannot make the file read-only here (a bind mount needs root and mount)');
  const refused = (() => {
    try {
      return openSqliteStore({ file });
    } catch (error) {
      return error;
    }
  })();
  t.type(refused, StoreFault, 'opening it to write is refused as a store fault');
  t.equal((refused as StoreFault).fault, 'store-read-only');
  t.match((refused as StoreFault).message, `the store file ${file} cannot be written (E`);
  const reader = openSqliteStore({ file, readonly: true });
  t.teardown(() => reader.close());
  t.equal(await reader.headPosition(), 2, 'a reader opens it');
});

t.test('a snapshot of a file that is not a store is refused', async (t) => {
  const file = join(await tempDir(t), 'events.db');
  await writeFile(file, 'not a database at all, but long enough to have a header');
  t.throws(() => openSqliteStore({ file, readonly: 'snapshot' }));
});

t.test('readByIds with one id finds that event; readForFold refuses `only` with `except`', async (t) => {
  const file = join(await tempDir(t), 'events.db');
  const store = openSqliteStore({ file });
  t.teardown(() => store.close());
  const [a, b] = events(2);
  await store.append('ledger', [a!, b!], 'no-stream');
  t.same(
    (await store.readByIds([b!.id])).map((e) => [e.id, e.globalPosition]),
    [[b!.id, 2]],
  );
  t.same(await store.readByIds(['00000000-0000-4000-8000-000000000000']), []);
  t.throws(
    () => store.readForFold!(0, 10, { only: ['ShipmentDispatched'], except: { types: ['X'], unlessContains: '' } }),
    /readForFold takes `only` or `except`, not both/,
  );
});

t.test('closing the store waits for a handler at work, and nothing is delivered after', async (t) => {
  const file = join(await tempDir(t), 'events.db');
  const store = openSqliteStore({ file });
  await store.append('ledger', events(3), 'no-stream');
  let release = () => {};
  const seen: number[] = [];
  const errors: Error[] = [];
  store.subscribeToAll(0, {
    onEvent: (e) => {
      seen.push(e.globalPosition);
      if (e.globalPosition === 1) return new Promise<void>((resolve) => (release = resolve));
      return undefined;
    },
    onError: (error) => void errors.push(error),
  });
  await until(() => seen.length === 1);
  let closed = false;
  const closing = store.close().then(() => (closed = true));
  await tick();
  t.equal(closed, false, 'close waits while the handler works');
  release();
  await closing;
  await tick();
  t.same(seen, [1], 'the rest of the page is not delivered after close');
  t.same(errors, [], 'and nothing fails reading a closed file');
});

t.test(
  'closing a subscription waits for its handler; closing it from inside the handler does not deadlock',
  async (t) => {
    const file = join(await tempDir(t), 'events.db');
    const store = openSqliteStore({ file });
    t.teardown(() => store.close());
    await store.append('ledger', events(3), 'no-stream');
    let release = () => {};
    const seen: number[] = [];
    const subscription = store.subscribeToAll(0, {
      onEvent: (e) => {
        seen.push(e.globalPosition);
        return e.globalPosition === 1 ? new Promise<void>((resolve) => (release = resolve)) : undefined;
      },
    });
    await until(() => seen.length === 1);
    let closed = false;
    const closing = subscription.close().then(() => (closed = true));
    await tick();
    t.equal(closed, false, 'close waits for the handler at work');
    release();
    await closing;
    t.same(seen, [1]);

    const inside: number[] = [];
    const self: { subscription?: Subscription } = {};
    self.subscription = store.subscribeToAll(0, {
      onEvent: async (e) => {
        inside.push(e.globalPosition);
        await tick();
        await self.subscription!.close();
      },
    });
    await until(() => inside.length > 0);
    await tick();
    t.same(inside, [1], 'a handler closing its own subscription returns, and nothing more comes');
  },
);

t.test(
  'a handler still closes its own subscription without deadlock after another subscription has finished delivering',
  async (t) => {
    // The handler context is switched off whenever no delivery runs: one subscription finishing
    // must not switch it off under another whose handler is still at work.
    const file = join(await tempDir(t), 'events.db');
    const store = openSqliteStore({ file });
    t.teardown(() => store.close());
    await store.append('ledger', events(2), 'no-stream');
    let release = () => {};
    const slow: number[] = [];
    const self: { subscription?: Subscription } = {};
    self.subscription = store.subscribeToAll(0, {
      onEvent: async (e) => {
        slow.push(e.globalPosition);
        await new Promise<void>((resolve) => (release = resolve));
        await self.subscription!.close();
        closedFromInside = true;
      },
    });
    let closedFromInside = false;
    await until(() => slow.length === 1);
    const quick: number[] = [];
    const other = store.subscribeToAll(0, { onEvent: (e) => void quick.push(e.globalPosition) });
    await until(() => quick.length === 2);
    await tick(); // the quick subscription's delivery has ended
    release();
    await until(() => closedFromInside);
    t.ok(closedFromInside, "the slow handler's close() returned");
    t.same(slow, [1], 'and nothing more came');
    await other.close();
  },
);

t.test('a replay while a subscriber catches up across pages: it still gets every event', async (t) => {
  const file = join(await tempDir(t), 'events.db');
  const store = openSqliteStore({ file });
  t.teardown(() => store.close());
  const first = events(3);
  await store.append('ledger', first, 'no-stream');
  await store.append('ledger', events(1200), 'any');
  const seen: number[] = [];
  const caughtUp: number[] = [];
  const subscription = store.subscribeToAll(0, {
    // At the end of the first page (1,000 events), a client retries the first batch.
    onEvent: async (e) => {
      seen.push(e.globalPosition);
      if (e.globalPosition === 1000) t.equal((await store.append('ledger', first, 'any')).replayed, true);
    },
    onCaughtUp: (position) => void caughtUp.push(position),
  });
  t.teardown(() => subscription.close());
  await until(() => caughtUp.length > 0);
  t.same(caughtUp, [1203], 'caught up at the head, not where the replay came');
  t.equal(seen.length, 1203);
  t.equal(seen[seen.length - 1], 1203);
});

t.test('a subscription whose handler fails with nobody to tell stops the process loudly', async (t) => {
  const file = join(await tempDir(t), 'events.db');
  const script = `
    import { openSqliteStore } from ${JSON.stringify(new URL('../../src/store/sqlite.ts', import.meta.url).href)};
    const store = openSqliteStore({ file: ${JSON.stringify(file)} });
    await store.append('ledger', [{ id: crypto.randomUUID(), type: 'X', schemaVersion: 1, occurredAt: '2025-01-01', recordedBy: 't', data: {}, metadata: {} }], 'any');
    store.subscribeToAll(0, { onEvent: () => { throw new Error('projection bug nobody hears'); } });
    setTimeout(() => { console.log('still running'); process.exit(0); }, 2000);
  `;
  const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: process.cwd(),
  }).then(
    (out) => ({ code: 0, stdout: out.stdout, stderr: out.stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  t.not(run.code, 0, 'the process ends with an error');
  t.match(run.stderr, /projection bug nobody hears/);
  t.notMatch(run.stdout, /still running/);
});

t.test(
  'an append that makes SQLite abandon the whole transaction fails its whole group, and stores nothing of it',
  async (t) => {
    // A disk filling mid-group or an I/O error can make SQLite roll back the group's transaction,
    // not only the failing statement; a trigger raising ROLLBACK does the same, on demand.
    const file = join(await tempDir(t), 'events.db');
    openSqliteStore({ file }).close();
    const raw = new Database(file);
    raw.exec(`CREATE TRIGGER abandon BEFORE INSERT ON events WHEN NEW.stream = 'doomed'
            BEGIN SELECT RAISE(ROLLBACK, 'the transaction is abandoned'); END`);
    raw.close();
    const store = openSqliteStore({ file });
    t.teardown(() => store.close());
    const [a, b, c] = events(3);
    // One tick: the three appends are one group, one transaction.
    const settled = await Promise.allSettled([
      store.append('before', [a!], 'any'),
      store.append('doomed', [b!], 'any'),
      store.append('after', [c!], 'any'),
    ]);
    t.same(
      settled.map((s) => s.status),
      ['rejected', 'rejected', 'rejected'],
      'no one is told their events were stored',
    );
    t.match((settled[1] as PromiseRejectedResult).reason, { message: /abandoned/ });
    t.same(await store.readAll(), [], 'nothing of the group is stored, before the failure or after it');
    t.equal(await store.headPosition(), 0);
    await store.append('later', [events(1)[0]!], 'any');
    t.same(
      (await store.readAll()).map((e) => [e.stream, e.globalPosition]),
      [['later', 1]],
      'the next group is written as usual',
    );
  },
);

/** A store whose file has the log's checkpoints table, so that a sealer can be attached; closed with the test. */
async function sealableStore(t: Test) {
  const file = join(await tempDir(t), 'events.db');
  const store = openSqliteStore({ file });
  t.teardown(() => store.close());
  const raw = new Database(file);
  raw.exec(CHECKPOINTS_TABLE);
  raw.close();
  return store;
}

t.test(
  'a sealed group hands the signer each new event with its line as it lands, then the group, and says it was committed',
  async (t) => {
    const store = await sealableStore(t);
    const stored: { ids: string[]; lines: number }[] = [];
    const sealed: string[][] = [];
    const settledWith: boolean[] = [];
    store.sealGroupsWith({
      begin: () => 'lines',
      written: () => undefined,
      stored: (added, lines) =>
        void stored.push({
          ids: added.map((e) => e.id),
          lines: lines?.filter((l) => typeof l === 'string').length ?? -1,
        }),
      seal: (added) => {
        sealed.push(added.map((e) => e.id));
        return undefined;
      },
      settled: (committed) => void settledWith.push(committed),
    });
    const batch = events(3);
    await store.append('ledger', batch, 'any');
    t.same(stored, [{ ids: batch.map((e) => e.id), lines: 3 }], 'one line per event, in order, nothing else');
    t.same(sealed, [batch.map((e) => e.id)], 'then the group, sealed once');
    t.same(settledWith, [true], 'and told it was committed');
    t.equal((await store.append('ledger', batch, 'any')).replayed, true);
    t.equal(stored.length, 1, 'a replay hands over no line');
    t.equal(sealed.length, 1, 'a group that adds nothing (a replay) is not sealed');
  },
);

t.test(
  'a signer that wants rows for a batch is handed them in runs as they are written, with the JSON each row holds, then the batch',
  async (t) => {
    const store = await sealableStore(t);
    const begun: number[] = [];
    const runs: { ids: string[]; data: readonly string[]; metadata: readonly string[] }[] = [];
    const stored: { ids: string[]; lines: boolean }[] = [];
    store.sealGroupsWith({
      begin: (count) => {
        begun.push(count);
        return count < 3 ? 'lines' : 'rows';
      },
      written: (added, rows) => void runs.push({ ids: added.map((e) => e.id), ...rows }),
      stored: (added, lines) => void stored.push({ ids: added.map((e) => e.id), lines: lines !== undefined }),
      seal: () => undefined,
      settled: () => undefined,
    });
    const small = events(2);
    const large = events(ROWS_RUN + 3);
    await store.append('ledger', small, 'any');
    await store.append('ledger', large, 'any');
    t.same(begun, [2, ROWS_RUN + 3], 'asked once an append, with its size');
    t.same(
      runs.map((r) => r.ids),
      [large.slice(0, ROWS_RUN).map((e) => e.id), large.slice(ROWS_RUN).map((e) => e.id)],
      'only the batch it wanted as rows comes in runs: a full run, then the rest',
    );
    t.same(stored, [
      { ids: small.map((e) => e.id), lines: true },
      { ids: large.map((e) => e.id), lines: false },
    ]);
    const raw = new Database(store.file, { readonly: true });
    t.teardown(() => raw.close());
    const rows = raw.prepare('SELECT data, metadata FROM events WHERE position > 2 ORDER BY position').all() as {
      data: string;
      metadata: string;
    }[];
    t.same(
      runs.flatMap((r) => r.data),
      rows.map((r) => r.data),
      'the data column, as written',
    );
    t.same(
      runs.flatMap((r) => r.metadata),
      rows.map((r) => r.metadata),
      'the metadata column, as written',
    );
  },
);

t.test('a group whose checkpoint cannot be made fails with the signer’s own error, and stores nothing', async (t) => {
  const store = await sealableStore(t);
  const bug = new Error('the signer has a bug');
  const settledWith: boolean[] = [];
  store.sealGroupsWith({
    begin: () => 'lines',
    written: () => undefined,
    stored: () => undefined,
    seal: () => {
      throw bug;
    },
    settled: (committed) => void settledWith.push(committed),
  });
  const failed = await store.append('ledger', events(2), 'any').then(
    () => undefined,
    (error: unknown) => error,
  );
  t.equal(failed, bug, 'the error itself, not a store fault or nothing');
  t.same(settledWith, [false], 'the signer is told its checkpoint was not committed');
  t.same(await store.readAll(), []);
});

t.test('a read the driver refuses for a reason of its own rejects with that error, as it is', async (t) => {
  const file = join(await tempDir(t), 'events.db');
  const store = openSqliteStore({ file });
  t.teardown(() => store.close());
  // Not SQLite's error (no SQLITE_ code): better-sqlite3 takes an object for named parameters, and finds none.
  const failed = await store.readStream({} as never).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.type(failed, RangeError);
  t.match(failed, { message: /parameter/ });
  t.notOk(failed instanceof StoreFault, 'not taken for a fault of the machine');
});
