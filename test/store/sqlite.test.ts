import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { IdempotencyConflictError, WrongExpectedRevisionError, type EventToAppend } from '../../src/store/port.js';
import { canonicalJson, exportLine } from '../../src/log/leaf.js';
import { openSqliteStore, type SqliteEventStore } from '../../src/store/sqlite.js';
import { event, events, newStream, storeContract, type StoreHarness } from './contract.js';

async function tempFile(): Promise<{ file: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mss-store-'));
  return { file: join(dir, 'events.db'), remove: () => rm(dir, { recursive: true, force: true }) };
}

async function sqliteHarness(options: { groupCommitMs?: number; clock?: () => Date } = {}) {
  const { file, remove } = await tempFile();
  let current: SqliteEventStore = openSqliteStore({ file, ...options });
  const harness = {
    file,
    store: current,
    reopen: async () => {
      await current.close();
      current = openSqliteStore({ file, ...options });
      return current;
    },
    cleanup: async () => {
      await current.close();
      await remove();
    },
  } satisfies StoreHarness & { file: string };
  return harness;
}

/** Commits in the WAL file: frames of the current WAL generation whose header records a commit. */
function walCommits(file: string): number {
  let wal: Buffer;
  try {
    wal = readFileSync(`${file}-wal`);
  } catch {
    return 0;
  }
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const salts = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salts[0] || wal.readUInt32BE(at + 12) !== salts[1]) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}

/** recorded_by is NOT NULL in the schema: a caller that slips a null past the types is refused by SQLite itself. */
const sqliteOptions = { refusedAtInsert: (e: EventToAppend) => ({ ...e, recordedBy: null as unknown as string }) };
storeContract(t, 'sqlite', () => sqliteHarness(), sqliteOptions);
storeContract(t, 'sqlite, groupCommitMs 5', () => sqliteHarness({ groupCommitMs: 5 }), sqliteOptions);

t.test('sqlite: durable settings', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  t.same(h.store.durability, { journalMode: 'wal', synchronous: 2, groupCommitMs: 0 });
  t.equal(h.store.engine, 'sqlite');
});

t.test('sqlite: the database refuses to change or remove events', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  const stored = await h.store.append('shipment-1', events(2), 'no-stream');
  await h.store.close();

  const db = new Database(h.file);
  t.teardown(() => db.close());
  const first = stored.events[0]!;
  t.throws(() => db.prepare("UPDATE events SET data = '{}' WHERE position = 1").run(), /UPDATE refused/);
  t.throws(() => db.prepare('DELETE FROM events WHERE position = 1').run(), /DELETE refused/);
  t.throws(() => db.prepare('DELETE FROM events').run(), /DELETE refused/, 'no truncate shortcut');
  t.throws(
    () =>
      db
        .prepare(
          `INSERT OR REPLACE INTO events (position, id, stream, stream_revision, type, schema_version, occurred_at,
            recorded_at, recorded_by, data, metadata)
           VALUES (1, ?, 'shipment-1', 0, 'Forged', 1, '2025-01-01', '2025-01-01', 'x', '{}', '{}')`,
        )
        .run(first.id),
    /would replace/,
    'INSERT OR REPLACE cannot sneak a delete past the triggers',
  );
  t.throws(
    () =>
      db
        .prepare(
          `INSERT INTO events (position, id, stream, stream_revision, type, schema_version, occurred_at,
            recorded_at, recorded_by, data, metadata)
           VALUES (1, ?, 'shipment-1', 0, 'Forged', 1, '2025-01-01', '2025-01-01', 'x', '{}', '{}')
           ON CONFLICT DO UPDATE SET data = excluded.data`,
        )
        .run(first.id),
    /refused|would replace/,
    'an upsert cannot either',
  );
  const rows = db.prepare('SELECT id, data FROM events ORDER BY position').all();
  t.same(rows, [
    { id: first.id, data: JSON.stringify(first.data) },
    { id: stored.events[1]!.id, data: JSON.stringify(stored.events[1]!.data) },
  ]);
});

t.test('sqlite: 200 concurrent appends are one commit with contiguous positions', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  const before = walCommits(h.file);
  const results = await Promise.all(Array.from({ length: 200 }, () => h.store.append(newStream(), [event()], 'any')));
  t.equal(walCommits(h.file) - before, 1, 'one transaction, one fsync');
  t.same(
    results.map((r) => r.lastPosition).sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
  const all = await h.store.readAll();
  t.same(
    all.map((e) => e.globalPosition),
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
});

t.test('sqlite: one failing append in a group rolls back only itself', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  const taken = await h.store.append('shipment-taken', events(1), 'no-stream');
  const before = walCommits(h.file);
  const attempts = Array.from({ length: 60 }, (_, i) => {
    if (i % 3 === 1) return h.store.append('shipment-taken', events(5), 'no-stream'); // wrong revision
    if (i % 3 === 2) return h.store.append(newStream(), [...events(4), { ...taken.events[0]!, data: 'x' }], 'any'); // conflict
    return h.store.append(newStream(), events(3), 'no-stream');
  });
  const outcomes = await Promise.allSettled(attempts);
  t.equal(walCommits(h.file) - before, 1, 'still one commit');
  outcomes.forEach((o, i) => {
    if (i % 3 === 0) t.equal(o.status, 'fulfilled');
    else if (o.status === 'rejected') {
      t.type(o.reason, i % 3 === 1 ? WrongExpectedRevisionError : IdempotencyConflictError);
    } else t.fail(`attempt ${i} should have failed`);
  });
  const all = await h.store.readAll();
  t.equal(all.length, 1 + 20 * 3, 'only the good appends landed');
  t.same(
    all.map((e) => e.globalPosition),
    Array.from({ length: all.length }, (_, i) => i + 1),
    'rolled-back savepoints leave no gaps',
  );
});

t.test('sqlite: an insert failing mid-batch rolls back the rows of that batch only', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  // No metadata breaks a NOT NULL column at the second insert, after the first row went in.
  const broken = [event(), event({ metadata: undefined as never })];
  const [before, failed, after] = await Promise.allSettled([
    h.store.append('shipment-a', events(1), 'no-stream'),
    h.store.append('shipment-b', broken, 'no-stream'),
    h.store.append('shipment-c', events(1), 'no-stream'),
  ]);
  t.equal(before.status, 'fulfilled');
  t.equal(failed.status, 'rejected');
  t.equal(after.status, 'fulfilled');
  t.same(await h.store.readByIds([broken[0]!.id]), [], 'the first row of the failed batch is gone');
  t.same(
    (await h.store.readAll()).map((e) => [e.stream, e.globalPosition]),
    [
      ['shipment-a', 1],
      ['shipment-c', 2],
    ],
  );
});

t.test('sqlite: a group whose only append fails part-way stores none of it, and the next append goes on', async (t) => {
  // The writer's one append a group is written without a savepoint of its own (a savepoint made
  // each row cost three times as much): a failure after its first rows must still undo them.
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  const taken = await h.store.append('ledger', events(1), 'no-stream');
  const before = walCommits(h.file);
  const broken = [...events(3), event({ metadata: undefined as never })];
  await t.rejects(h.store.append('ledger', broken, 0), 'refused at its fourth row');
  const conflicting = [...events(2), { ...taken.events[0]!, data: { other: true } }];
  await t.rejects(h.store.append('ledger', conflicting, 0), IdempotencyConflictError, 'its third id is stored already');
  t.equal(walCommits(h.file) - before, 0, 'nothing was committed');
  t.same(await h.store.readByIds([broken[0]!.id, conflicting[0]!.id]), [], 'their first rows are gone');
  t.equal(await h.store.headPosition(), 1);
  const next = await h.store.append('ledger', events(2), 0);
  t.same(
    next.events.map((e) => [e.globalPosition, e.streamRevision]),
    [
      [2, 1],
      [3, 2],
    ],
    'the next append follows on, in a transaction of its own',
  );
  const reopened = await h.reopen();
  t.same(
    (await reopened.readAll()).map((e) => e.globalPosition),
    [1, 2, 3],
  );
});

t.test('sqlite: appends in one group follow on from each other, and one that fails moves nothing', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  const stored = (await h.store.append('shipment-x', events(1), 'no-stream')).events[0]!;
  const before = walCommits(h.file);
  const [first, refused, conflict, second, replayed, broken, third] = await Promise.allSettled([
    h.store.append('shipment-y', events(1), 'no-stream'),
    h.store.append('shipment-y', events(1), 'no-stream'), // the stream exists now: wrong revision
    h.store.append('shipment-y', [{ ...stored, data: { quantity: 99 } }], 'any'), // a stored id, other content
    h.store.append('shipment-y', events(2), 0),
    h.store.append('shipment-x', [stored], 0), // a retry: the stored event answers
    h.store.append('shipment-y', [event({ metadata: undefined as never })], 2), // refused by SQLite itself
    h.store.append('shipment-y', events(1), 2),
  ]);
  t.equal(walCommits(h.file) - before, 1, 'one group, one commit');
  t.match(refused, { status: 'rejected', reason: { actual: 0 } }, 'checked against the revision the group reached');
  t.type((refused as PromiseRejectedResult).reason, WrongExpectedRevisionError);
  t.type((conflict as PromiseRejectedResult).reason, IdempotencyConflictError);
  t.equal(broken.status, 'rejected');
  t.match(replayed, { status: 'fulfilled', value: { replayed: true, lastPosition: 1, events: [{ id: stored.id }] } });
  const landed = [first, second, third].map((o) => (o.status === 'fulfilled' ? o.value : undefined));
  t.same(
    landed.map((r) => r && [r.lastPosition, r.streamRevision]),
    [
      [2, 0],
      [4, 2],
      [5, 3],
    ],
    'each append starts where the last one that landed ended',
  );
  t.same(
    (await h.store.readAll()).map((e) => [e.stream, e.globalPosition, e.streamRevision]),
    [
      ['shipment-x', 1, 0],
      ['shipment-y', 2, 0],
      ['shipment-y', 3, 1],
      ['shipment-y', 4, 2],
      ['shipment-y', 5, 3],
    ],
  );
  t.equal(await h.store.streamRevision('shipment-y'), 3);
  t.equal(await h.store.headPosition(), 5);
});

t.test('sqlite: a retry of one event with an outdated expected revision still replays', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  const [stored] = events(1);
  const original = await h.store.append('shipment-z', [stored!], 'no-stream');
  await h.store.append('shipment-z', events(3), 0);
  const retry = await h.store.append('shipment-z', [stored!], 'no-stream');
  t.equal(retry.replayed, true);
  t.same(retry.events, original.events);
  t.equal(await h.store.headPosition(), 4, 'nothing new written');
  const error = await h.store.append('shipment-z', [event()], 'no-stream').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, WrongExpectedRevisionError, 'a new event with the same outdated revision is refused');
});

t.test('sqlite: groupCommitMs gathers appends across ticks', async (t) => {
  const h = await sqliteHarness({ groupCommitMs: 50 });
  t.teardown(h.cleanup);
  const before = walCommits(h.file);
  const pending = [];
  for (let i = 0; i < 5; i++) {
    pending.push(h.store.append(newStream(), [event()], 'any'));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(pending);
  t.equal(walCommits(h.file) - before, 1);
});

t.test('sqlite: positions and revisions are unbroken after restarts', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  await h.store.append('shipment-a', events(3), 'no-stream');
  let store = await h.reopen();
  await store.append('shipment-a', events(2), 2);
  store = await h.reopen();
  t.equal(await store.headPosition(), 5);
  t.same(
    (await store.readAll()).map((e) => [e.globalPosition, e.streamRevision]),
    [
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
      [5, 4],
    ],
  );
});

t.test('sqlite: close() commits pending appends, then refuses new ones', async (t) => {
  const h = await sqliteHarness({ groupCommitMs: 1000 });
  t.teardown(h.cleanup);
  const pending = h.store.append('shipment-a', events(2), 'no-stream');
  await h.store.close();
  const result = await pending;
  t.equal(result.lastPosition, 2);
  await t.rejects(h.store.append('shipment-a', events(1), 'any'), /closed/);
  await t.rejects(h.store.readAll(), /closed/);
  const reopened = await h.reopen();
  t.equal(await reopened.headPosition(), 2);
});

t.test('sqlite: recordedAt comes from the clock', async (t) => {
  const h = await sqliteHarness({ clock: () => new Date('2025-03-01T10:00:00Z') });
  t.teardown(h.cleanup);
  const result = await h.store.append('shipment-a', events(2), 'no-stream');
  t.same(
    result.events.map((e) => e.recordedAt),
    ['2025-03-01T10:00:00.000Z', '2025-03-01T10:00:00.000Z'],
  );
});

t.test(
  'sqlite: rows hold their data and metadata as RFC 8785 JSON, one event or many, and read back as given',
  async (t) => {
    const h = await sqliteHarness();
    t.teardown(h.cleanup);
    // Keys out of order, at every depth, and numbers and strings whose canonical form is not their literal.
    const data = { z: 1, a: { y: [1e21, -0, 0.5], b: 'é\n"' }, m: null };
    const metadata = { correlationId: 'c-1', occurredPrecision: 'instant' as const };
    await h.store.append('shipment-a', [event({ data, metadata })], 'no-stream');
    await h.store.append('shipment-a', events(3), 0);
    const db = new Database(h.file, { readonly: true });
    t.teardown(() => db.close());
    const rows = db.prepare('SELECT data, metadata FROM events ORDER BY position').all() as {
      data: string;
      metadata: string;
    }[];
    t.equal(
      rows[0]!.data,
      '{"a":{"b":"é\\n\\"","y":[1e+21,0,0.5]},"m":null,"z":1}',
      'the data, keys sorted at every depth',
    );
    t.equal(rows[0]!.metadata, '{"correlationId":"c-1","occurredPrecision":"instant"}', 'the metadata');
    for (const row of rows) {
      t.equal(row.data, canonicalJson(JSON.parse(row.data)), 'each row’s data is canonical');
      t.equal(row.metadata, canonicalJson(JSON.parse(row.metadata)), 'and its metadata');
    }
    const [first] = await h.store.readAll({ limit: 1 });
    t.same(first!.data, { ...data, a: { ...data.a, y: [1e21, 0, 0.5] } }, 'read back as the values given (-0 as 0)');
  },
);

t.test(
  'sqlite: a batch longer than one INSERT stores each event in its own row, and one refused at any row stores none of it',
  async (t) => {
    // Rows go in sixteen to a statement (INSERT_ROWS): every field of every row must still be its own event's.
    const h = await sqliteHarness();
    t.teardown(h.cleanup);
    const distinct = (i: number) =>
      event({
        type: i % 2 === 0 ? 'ShipmentDispatched' : 'ShipmentReceived',
        schemaVersion: 1 + (i % 3),
        occurredAt: `2025-02-${String(1 + i).padStart(2, '0')}T14:00:00.000Z`,
        recordedBy: `recorder-${i}`,
        data: { n: i, label: `item ${i}` },
        metadata: { occurredPrecision: 'instant', correlationId: `c-${i}` },
      });
    const batch = Array.from({ length: 37 }, (_, i) => distinct(i));
    const appended = await h.store.append('shipment-a', batch, 'no-stream');
    const read = await h.store.readAll();
    t.same(
      read.map((e) => [e.id, e.type, e.schemaVersion, e.occurredAt, e.recordedBy, e.data, e.metadata]),
      batch.map((e) => [e.id, e.type, e.schemaVersion, e.occurredAt, e.recordedBy, e.data, e.metadata]),
      'each row holds its own event, in order',
    );
    t.same(read, appended.events, 'as the append answered');
    t.same(
      read.map((e) => [e.globalPosition, e.streamRevision]),
      batch.map((_, i) => [i + 1, i]),
    );
    const db = new Database(h.file, { readonly: true });
    t.teardown(() => db.close());
    const rows = db.prepare('SELECT data, metadata FROM events ORDER BY position').all() as {
      data: string;
      metadata: string;
    }[];
    t.same(
      rows,
      batch.map((e) => ({ data: canonicalJson(e.data), metadata: canonicalJson(e.metadata) })),
      'each row’s texts are its own event’s, canonical',
    );

    // A stored id in the first statement's rows, then in the second's, then in the single rows after them.
    for (const at of [5, 20, 34]) {
      const next = Array.from({ length: 36 }, (_, i) => distinct(100 + i));
      next[at] = { ...batch[at]!, data: { changed: true } };
      await t.rejects(
        h.store.append('shipment-a', next, 36),
        IdempotencyConflictError,
        `a stored id at row ${at} of 36 is a conflict`,
      );
      t.same(await h.store.readByIds([next[0]!.id, next[35]!.id]), [], `nothing of it is stored (${at})`);
      t.equal(await h.store.headPosition(), 37);
    }
    const retried = await h.store.append('shipment-a', batch, 'no-stream');
    t.equal(retried.replayed, true, 'the whole batch again is a replay');
    t.same(retried.events, appended.events);
  },
);

t.test(
  'sqlite: export lines made from the rows are the lines of the events read, whatever form a row is in',
  async (t) => {
    const h = await sqliteHarness();
    t.teardown(h.cleanup);
    await h.store.append('shipment-a', events(3), 'no-stream');
    // A row as the store wrote it before its JSON was canonical (or as another tool writes it): keys
    // in their own order, a number spelled as JSON.stringify spells it, a character escaped.
    const db = new Database(h.file);
    db.prepare(
      `INSERT INTO events (position, id, stream, stream_revision, type, schema_version, occurred_at, recorded_at,
       recorded_by, data, metadata) VALUES (4, 'legacy-1', 'shipment-a', 3, 'ShipmentDispatched', 1,
       '2025-02-10T14:00:00.000Z', '2025-02-11T09:00:00.000Z', 'older-tool', ?, ?)`,
    ).run('{"z":1,"a":[1.50,"\\u00e9"]}', '{"occurredPrecision":"instant","correlationId":"c-9"}');
    db.close();
    await h.store.append('shipment-a', events(2), 3);
    const read = await h.store.readAll();
    const page = await h.store.readExportLines(0, 100);
    t.same(page.positions, [1, 2, 3, 4, 5, 6], 'every event, in order');
    t.same(
      page.lines,
      read.map((event) => exportLine(event)),
      'each line is the line of the event as read, the older row’s included',
    );
    t.equal(
      page.lines[3],
      '{"data":{"a":[1.5,"é"],"z":1},"globalPosition":4,"id":"legacy-1","metadata":{"correlationId":"c-9","occurredPrecision":"instant"},"occurredAt":"2025-02-10T14:00:00.000Z","recordedAt":"2025-02-11T09:00:00.000Z","recordedBy":"older-tool","schemaVersion":1,"stream":"shipment-a","streamRevision":3,"type":"ShipmentDispatched"}',
      'the older row’s line is canonical, not its stored text',
    );
    const after = await h.store.readExportLines(4, 1);
    t.same(after.positions, [5], 'from a position, up to a limit');
  },
);

t.test('sqlite: malformed appends are refused before touching the database', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  const twice = event();
  await t.rejects(h.store.append('shipment-a', [twice, twice], 'any'), /twice/);
  await t.rejects(h.store.append('shipment-a', events(1), -1), /expected revision/);
  await t.rejects(h.store.append('shipment-a', events(1), 1.5), /expected revision/);
  await t.rejects(h.store.readAll({ limit: -1 }), /limit/);
  t.equal(await h.store.headPosition(), 0);
});

t.test('sqlite: lean reads for a fold give what readAll gives, less id, metadata and recorder', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  await h.store.append(
    'ledger',
    [
      event({ type: 'MaterielTransferred', data: { lines: [{ itemType: 'rifle' }] } }),
      event({ type: 'PersonnelDeployed', data: { count: 200 } }),
      event({ type: 'MaterielTransferred', data: { lines: [{ itemType: 'rifle', serials: [{ serial: 'R-1' }] }] } }),
      event({ type: 'DonationReceived', data: { note: 'a "serials" word in a string is no key' } }),
    ],
    'no-stream',
  );
  const all = await h.store.readAll();
  const lean = all.map(({ id: _i, metadata: _m, recordedBy: _r, ...rest }) => rest);
  t.same(h.store.readForFold!(0, 10), lean, 'every event, in order');
  t.same(h.store.readForFold!(1, 2), lean.slice(1, 3), 'after a position, up to a limit');
  t.same(
    h.store.readForFold!(0, 10, { only: ['MaterielTransferred', 'DonationReceived'] }).map((e) => e.globalPosition),
    [1, 3, 4],
    'only some types',
  );
  t.same(
    h.store.readForFold!(0, 10, {
      except: { types: ['MaterielTransferred', 'DonationReceived'], unlessContains: '"serials"' },
    }).map((e) => e.globalPosition),
    [2, 3],
    'all but some types, unless their data has the text',
  );
  t.throws(() => h.store.readForFold!(0, 10, { only: ['x'], except: { types: ['y'], unlessContains: 'z' } }));
});

t.test('sqlite: a second connection for reading only reads, and refuses every append', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  await h.store.append('ledger', events(3), 'no-stream');
  const reader = openSqliteStore({ file: h.file, readonly: true });
  t.teardown(() => reader.close());
  t.equal(reader.readForFold!(0, 10).length, 3);
  await t.rejects(reader.append('ledger', events(1), 'any'), /reading only/);
  t.equal(await h.store.headPosition(), 3, 'nothing was written');
  t.throws(() => openSqliteStore({ file: `${h.file}.missing`, readonly: true }), 'a reader does not make a store');
});

t.test('sqlite: a file whose immutability triggers were dropped names each missing one', async (t) => {
  const h = await sqliteHarness();
  t.teardown(h.cleanup);
  await h.store.append('ledger', events(1), 'no-stream');
  t.same(await h.store.integrityProblems!(['ledger']), [], 'a sound file has no problem');
  const raw = new Database(h.file);
  raw.exec('DROP TRIGGER events_no_delete');
  raw.close();
  const problems = await h.store.integrityProblems!(['ledger']);
  t.equal(problems.length, 1);
  t.match(problems[0], /lacks its trigger events_no_delete/);
});

t.test('sqlite: a file of another layout is refused and left as it was', async (t) => {
  const { file, remove } = await tempFile();
  t.teardown(remove);
  const raw = new Database(file);
  raw.exec('CREATE TABLE events (position INTEGER PRIMARY KEY); PRAGMA user_version = 1');
  raw.close();
  t.throws(() => openSqliteStore({ file }), /layout 1, this build reads layout 2/);
  t.throws(() => openSqliteStore({ file, readonly: true }), /layout 1/, 'for reading too');
  const after = new Database(file, { readonly: true });
  t.equal(after.pragma('user_version', { simple: true }), 1, 'the file was not migrated');
  t.same(
    (after.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as unknown[]).length,
    0,
    'nor given triggers',
  );
  after.close();
  // An empty file is a new store: it is given the layout.
  const { file: fresh, remove: removeFresh } = await tempFile();
  t.teardown(removeFresh);
  const store = openSqliteStore({ file: fresh });
  await store.close();
  const made = new Database(fresh, { readonly: true });
  t.equal(made.pragma('user_version', { simple: true }), 2);
  made.close();
});

t.test(
  'sqlite: a subscriber from 0 gets 2,500 events once each, in order, across pages and the recent cache',
  async (t) => {
    const h = await sqliteHarness();
    t.teardown(h.cleanup);
    await h.store.append('ledger', events(1200), 'no-stream');
    const seen: number[] = [];
    let caughtUpAt = -1;
    const subscription = h.store.subscribeToAll(0, {
      onEvent: (e) => {
        seen.push(e.globalPosition);
      },
      onCaughtUp: (position) => {
        caughtUpAt = position;
      },
    });
    t.teardown(() => subscription.close());
    for (let i = 0; i < 200 && caughtUpAt < 0; i++) await new Promise((r) => setTimeout(r, 5));
    t.equal(caughtUpAt, 1200, 'caught up at the head, after more than one page');
    await h.store.append('ledger', events(1300), 'any');
    for (let i = 0; i < 200 && seen.length < 2500; i++) await new Promise((r) => setTimeout(r, 5));
    t.same(
      seen,
      Array.from({ length: 2500 }, (_, i) => i + 1),
      'every position once, in order',
    );
    // Reads served from what was just committed equal reads from the file.
    const fromFile = openSqliteStore({ file: h.file, readonly: true });
    t.teardown(() => fromFile.close());
    for (const [after, limit] of [
      [0, 10],
      [1199, 3],
      [1200, 5],
      [2495, 10],
      [2500, 10],
    ] as const)
      t.same(await h.store.readAll({ after, limit }), await fromFile.readAll({ after, limit }), `after ${after}`);
  },
);

t.test(
  'sqlite: a subscriber that lags behind another still gets every event once, in order, as appends go on',
  async (t) => {
    const h = await sqliteHarness();
    t.teardown(h.cleanup);
    // The fast one takes each commit at once, so the cache of recent events lets go of what it has
    // been given; the slow one waits on every tenth event and must still be given all of them.
    const fast: number[] = [];
    const slow: number[] = [];
    const fastSubscription = h.store.subscribeToAll(0, { onEvent: (e) => void fast.push(e.globalPosition) });
    const slowSubscription = h.store.subscribeToAll(0, {
      onEvent: (e) => {
        slow.push(e.globalPosition);
        return e.globalPosition % 10 === 0 ? new Promise((r) => setTimeout(r, 1)) : undefined;
      },
    });
    t.teardown(() => Promise.all([fastSubscription.close(), slowSubscription.close()]));
    for (let i = 0; i < 30; i++) await h.store.append('ledger', events(40), 'any');
    for (let i = 0; i < 400 && slow.length < 1200; i++) await new Promise((r) => setTimeout(r, 5));
    const all = Array.from({ length: 1200 }, (_, i) => i + 1);
    t.same(fast, all, 'the fast subscriber: every position once, in order');
    t.same(slow, all, 'the slow subscriber: every position once, in order');
  },
);
