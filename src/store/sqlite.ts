/**
 * The embedded event store: one SQLite file, owned by one process.
 *
 * Durability: WAL journal with `synchronous=FULL`, so an append is on disk
 * when its promise resolves. To keep durable single-event appends fast,
 * appends that arrive together are group-committed: one transaction (one
 * fsync) for the group, one SAVEPOINT per append so each keeps its own
 * all-or-nothing outcome.
 *
 * Immutability: triggers make the database itself refuse UPDATE, DELETE and
 * INSERT OR REPLACE on `events`, whoever connects. They cannot stop someone
 * with write access to the file from dropping the triggers or the table;
 * that needs file permissions and backups, not SQL.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { EventMetadata, RecordedEvent, StoredEvent } from '../../events/index.js';
import {
  contentKey,
  IdempotencyConflictError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadOptions,
  type SubscribeHandlers,
  type Subscription,
} from './port.js';
import { writeProblem } from './data-dir.js';
import { sqliteFault, StoreFault } from './faults.js';
import { readCheckpointTables, type CheckpointTables } from '../log/checkpoints.js';
import { canonicalJson, exportLineOf } from '../log/leaf.js';
import { COLUMNS, envelopeOfRow, exportLineOfRow, fromRawRow, type RawEventRow } from './sqlite-rows.js';

export interface SqliteStoreOptions {
  /** Path of the database file (`:memory:` works but is not durable). */
  file: string;
  /** Sets `recordedAt`; injectable for tests. */
  clock?: () => Date;
  /** How long to gather appends into one commit. 0 (default): those arriving in the same macrotask. */
  groupCommitMs?: number;
  /**
   * Opens an existing store file for reading only: every append is refused with a `store-read-only`
   * fault. `true`: a read-only connection to the file (a second reader, in a worker thread, or a
   * file the process may not write). `'snapshot'`: a copy of the file read into memory, for a
   * store that cannot even be opened for reading in place (a read-only mount or a full disk, where
   * SQLite cannot make the WAL's shared-memory file).
   */
  readonly?: boolean | 'snapshot';
}

export interface SqliteDurability {
  journalMode: string;
  /** 2 = FULL: every commit is fsynced before the append resolves. */
  synchronous: number;
  groupCommitMs: number;
}

/** A checkpoint row of the verifiable log (table `log_checkpoints`, made by src/log/checkpoints.ts). */
export interface CheckpointRow {
  treeSize: number;
  rootHash: string;
  issuedAt: string;
  note: string;
}

/** The JSON a run of rows holds for its events' data and metadata, as written for a log that is off. */
export interface RowsJson {
  data: readonly string[];
  metadata: readonly string[];
}

/** A run of an append's rows not yet inserted: its events from `from` on, with the JSON each row gets. */
interface HeldRows {
  from: number;
  data: string[];
  metadata: string[];
}

/**
 * The verifiable log's hook into a group commit (src/log/ledger-log.ts): the
 * checkpoint covering a group is written in the group's own transaction, so
 * events and their signature are committed by one fsync, both or neither.
 */
export interface GroupSealer {
  /**
   * Inside the append's savepoint, before its events are written: whether the sealer wants each
   * event's export line handed to `stored` ('lines'), or each run of rows handed to `written` just
   * before the run is inserted ('rows'), to hash it on another thread while the rows are inserted.
   */
  begin(count: number): 'lines' | 'rows';
  /**
   * An append begun as 'rows': each run of its events (at most ROWS_RUN), just before their rows
   * are inserted, with the JSON the rows get, written as for a log that is off. The append may still
   * fail or be rolled back: its runs count only once `stored` follows.
   */
  written(events: readonly RecordedEvent[], rows: RowsJson): void;
  /**
   * Inside the transaction, after each append that adds events, once its savepoint is released:
   * those events and, for an append begun as 'lines', beside each its export line (src/log/leaf.ts),
   * put together from the canonical JSON the store wrote for its data and metadata (undefined where
   * that could not be made). The sealer hashes them at once, so a large group's lines die young
   * instead of all living until the group is sealed.
   */
  stored(events: readonly RecordedEvent[], lines: readonly (string | undefined)[] | undefined): void;
  /** Inside the transaction, after its appends: the events it adds, in order; the checkpoint to write with them, if any. */
  seal(events: RecordedEvent[]): CheckpointRow | undefined;
  /** After the transaction: whether what `seal` returned was committed (false: rolled back). */
  settled(committed: boolean): void;
}

export interface SqliteEventStore extends EventStore {
  readonly file: string;
  readForFold: NonNullable<EventStore['readForFold']>;
  readForFoldMarked: NonNullable<EventStore['readForFoldMarked']>;
  readExportLines: NonNullable<EventStore['readExportLines']>;
  readonly durability: SqliteDurability;
  /** Writes each group's checkpoint in the group's transaction; the table `log_checkpoints` must exist. */
  sealGroupsWith(sealer: GroupSealer): void;
  /** For a store read into memory (`readonly: 'snapshot'`), the file it was read from: its `file` is `:memory:`. */
  readonly snapshotOf?: string;
  /** The verifiable log's checkpoints and cosignatures as this store holds them (a snapshot's can be read no other way). */
  checkpointTables(): CheckpointTables;
}

const SUBSCRIPTION_PAGE = 1000;

/** The most events a run handed to GroupSealer.written has: small enough that the last one is hashed soon. */
export const ROWS_RUN = 64;

/**
 * Rows one INSERT writes (`VALUES (…), (…)`): a statement run costs SQLite and better-sqlite3 the
 * same whatever it holds, so sixteen rows in one cost about 1.4 µs a row less than a run each (5.9
 * against 4.4 µs by hand, with this table's indexes and trigger). A divisor of ROWS_RUN.
 */
export const INSERT_ROWS = 16;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position        INTEGER PRIMARY KEY,
  id              TEXT    NOT NULL UNIQUE,
  stream          TEXT    NOT NULL,
  stream_revision INTEGER NOT NULL,
  type            TEXT    NOT NULL,
  schema_version  INTEGER NOT NULL,
  occurred_at     TEXT    NOT NULL,
  recorded_at     TEXT    NOT NULL,
  recorded_by     TEXT    NOT NULL,
  data            TEXT    NOT NULL,
  metadata        TEXT    NOT NULL,
  -- Also the index on stream: reads by stream use its prefix.
  UNIQUE (stream, stream_revision)
);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END;
-- INSERT OR REPLACE deletes the clashing row without firing DELETE triggers
-- (unless recursive_triggers is on), so refuse any insert that would clash.
-- Three EXISTS, one per unique index, so each is one index probe.
DROP TRIGGER IF EXISTS events_no_replace;
CREATE TRIGGER IF NOT EXISTS events_no_replace_indexed BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
  OR EXISTS (SELECT 1 FROM events WHERE id = NEW.id)
  OR EXISTS (SELECT 1 FROM events WHERE stream = NEW.stream AND stream_revision = NEW.stream_revision)
BEGIN SELECT RAISE(ABORT, 'events are append-only: insert would replace a stored event'); END;
`;

interface EventRow {
  position: number;
  id: string;
  stream: string;
  stream_revision: number;
  type: string;
  schema_version: number;
  occurred_at: string;
  recorded_at: string;
  recorded_by: string;
  data: string;
  metadata: string;
}

interface PendingAppend {
  stream: string;
  events: EventToAppend[];
  expected: ExpectedRevision;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** What became of one append of a group. */
type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

const toRecorded = (row: EventRow): RecordedEvent => ({
  id: row.id,
  type: row.type,
  stream: row.stream,
  streamRevision: row.stream_revision,
  globalPosition: row.position,
  occurredAt: row.occurred_at,
  recordedAt: row.recorded_at,
  recordedBy: row.recorded_by,
  schemaVersion: row.schema_version,
  data: JSON.parse(row.data) as unknown,
  metadata: JSON.parse(row.metadata) as EventMetadata,
});

/** What folds read (StoredEvent): no id, metadata or recorder, so none is read or parsed. */
export const FOLD_COLUMNS = 'position, stream, stream_revision, type, schema_version, occurred_at, recorded_at, data';
export type FoldRow = [number, string, number, string, number, string, string, string];

export const fromFoldRow = (row: FoldRow): StoredEvent => ({
  type: row[3],
  stream: row[1],
  streamRevision: row[2],
  globalPosition: row[0],
  occurredAt: row[5],
  recordedAt: row[6],
  schemaVersion: row[4],
  data: JSON.parse(row[7]) as unknown,
});

const params = (count: number) => Array.from({ length: count }, () => '?').join(', ');

/** The columns of a row (COLUMNS). */
const COLUMN_COUNT = 11;

/** SQLite's LIMIT -1 means "no limit". */
const limitOf = (options?: ReadOptions): number => {
  const limit = options?.limit;
  if (limit === undefined) return -1;
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`limit must be a non-negative integer, got ${limit}`);
  return limit;
};

function validateAppend(events: EventToAppend[], expected: ExpectedRevision): void {
  if (events.length === 0) throw new Error('append needs at least one event');
  if (typeof expected === 'number' && (!Number.isInteger(expected) || expected < 0)) {
    throw new Error(`expected revision must be 'any', 'no-stream' or a non-negative integer, got ${expected}`);
  }
  const ids = new Set<string>();
  for (const event of events) {
    if (typeof event.id !== 'string' || event.id === '') throw new Error('every event needs an id');
    if (ids.has(event.id)) throw new Error(`event id ${event.id} appears twice in one batch`);
    ids.add(event.id);
  }
}

function checkExpected(stream: string, expected: ExpectedRevision, actual: number | undefined): void {
  const ok = expected === 'any' || (expected === 'no-stream' ? actual === undefined : actual === expected);
  if (!ok) throw new WrongExpectedRevisionError(stream, expected, actual);
}

const IMMUTABILITY_TRIGGERS = ['events_no_update', 'events_no_delete', 'events_no_replace_indexed'];

/** The layout of the events table; a file of another layout is refused, never altered. */
const SCHEMA_VERSION = 2;

/** Refuses a file of another layout. */
function checkLayout(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const hasEvents =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() !== undefined;
  if (hasEvents && version !== SCHEMA_VERSION)
    throw new Error(
      `the store file has layout ${version}, this build reads layout ${SCHEMA_VERSION}; it was made by an earlier development build: move it aside and start again`,
    );
}

function migrate(db: Database.Database): void {
  checkLayout(db);
  db.exec(SCHEMA);
  // Written only when it changes: a start must not need to write (a full disk, a read-only file can still be read).
  if ((db.pragma('user_version', { simple: true }) as number) !== SCHEMA_VERSION)
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

/** The file read into memory, marked as a rollback-journal database (memory has no WAL; a cleanly closed file has nothing in its WAL). */
function snapshotOf(file: string): Database.Database {
  const image = readFileSync(file);
  if (image.length > 19) image[18] = image[19] = 1;
  return new Database(image, { readonly: true });
}

function openDatabase(options: SqliteStoreOptions): Database.Database {
  const readonly = options.readonly ?? false;
  if (readonly === 'snapshot') {
    const db = snapshotOf(options.file);
    checkLayout(db);
    return db;
  }
  // Asked before SQLite opens it: SQLite opens a file it may not write read-only without a word (and
  // better-sqlite3's `readonly` only echoes the option), failing at the first write instead.
  const cannotWrite = readonly || !existsSync(options.file) ? undefined : writeProblem(options.file);
  if (cannotWrite)
    throw new StoreFault('store-read-only', `the store file ${options.file} cannot be written (${cannotWrite})`);
  const db = new Database(options.file, readonly ? { readonly: true, fileMustExist: true } : {});
  try {
    if (readonly) checkLayout(db);
    else {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      migrate(db);
    }
    return db;
  } catch (error) {
    db.close();
    throw sqliteFault(error) ?? error;
  }
}

export function openSqliteStore(options: SqliteStoreOptions): SqliteEventStore {
  const clock = options.clock ?? (() => new Date());
  const groupCommitMs = options.groupCommitMs ?? 0;
  const readonly = options.readonly ?? false;
  const db = openDatabase(options);

  const stmt = {
    // Positional parameters: binding them costs less than looking up eleven named properties per row.
    insert: db.prepare(`INSERT INTO events (${COLUMNS}) VALUES (${params(COLUMN_COUNT)})`),
    byId: db.prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?`),
    byIds: db.prepare(`SELECT ${COLUMNS} FROM events WHERE id IN (SELECT value FROM json_each(?)) ORDER BY position`),
    stream: db.prepare(
      `SELECT ${COLUMNS} FROM events WHERE stream = ? AND stream_revision > ? ORDER BY stream_revision LIMIT ?`,
    ),
    all: db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`).raw(true),
    forFold: db.prepare(`SELECT ${FOLD_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`).raw(true),
    // Filters by type are bound as parameters: there are few types, and a statement is made per count.
    forFoldOnly: (types: number) =>
      db
        .prepare(
          `SELECT ${FOLD_COLUMNS} FROM events WHERE position > ? AND type IN (${params(types)}) ORDER BY position LIMIT ?`,
        )
        .raw(true),
    // SQLite's instr() on the stored text is far cheaper than reading the row into JavaScript.
    forFoldExcept: (types: number) =>
      db
        .prepare(
          `SELECT ${FOLD_COLUMNS} FROM events WHERE position > ? AND (type NOT IN (${params(types)}) OR instr(data, ?) > 0)
           ORDER BY position LIMIT ?`,
        )
        .raw(true),
    // The same rule as forFoldExcept's, as a column: one scan reads every event and says which it would read.
    forFoldMarked: (types: number) =>
      db
        .prepare(
          `SELECT ${FOLD_COLUMNS}, (type NOT IN (${params(types)}) OR instr(data, ?) > 0) FROM events WHERE position > ?
           ORDER BY position LIMIT ?`,
        )
        .raw(true),
    revision: db.prepare('SELECT MAX(stream_revision) AS revision FROM events WHERE stream = ?'),
    head: db.prepare('SELECT COALESCE(MAX(position), 0) AS head FROM events'),
  };
  const filteredStatements = new Map<string, Database.Statement>();
  const filtered = (kind: string, types: number, make: (types: number) => Database.Statement) => {
    const key = `${kind}:${types}`;
    let statement = filteredStatements.get(key);
    if (!statement) filteredStatements.set(key, (statement = make(types)));
    return statement;
  };
  const streamRevisionSync = (stream: string): number | undefined =>
    (stmt.revision.get(stream) as { revision: number | null }).revision ?? undefined;
  const headSync = (): number => (stmt.head.get() as { head: number }).head;
  /**
   * The last events committed, as committed: subscribers that are live read
   * them from here instead of reading back and parsing what was just written.
   * Positions are contiguous, so an index is a subtraction.
   */
  let recent: RecordedEvent[] = [];
  const RECENT_KEEP = 8192;
  const remember = (events: RecordedEvent[]) => {
    const first = events[0];
    const last = recent[recent.length - 1];
    if (!first) return;
    if (last && last.globalPosition + 1 !== first.globalPosition) recent = [];
    for (const event of events) recent.push(event);
    if (recent.length > 2 * RECENT_KEEP) recent = recent.slice(-RECENT_KEEP);
  };
  /**
   * Lets go of the recent events every subscriber has been given. The writer's and the projector's
   * handlers take a commit's events before `wake` returns, so this usually empties the cache: kept
   * for 8,192 events more, each event's objects outlived two scavenges and were copied into the old
   * generation, which then had to collect them: under single POSTs, 600 bytes an event promoted
   * before, 100 after. (A batch's events wait in the queue long enough to be promoted either way.)
   */
  const forgetDelivered = () => {
    const first = recent[0];
    if (!first) return;
    let lowest = Infinity;
    for (const subscription of subscriptions) lowest = Math.min(lowest, subscription.delivered);
    const keepFrom = lowest === Infinity ? recent.length : Math.max(0, lowest + 1 - first.globalPosition);
    if (keepFrom >= recent.length) recent = [];
    else if (keepFrom > 0) recent = recent.slice(keepFrom);
  };
  /** A read whose SQLite error is the machine's (I/O, locks) leaves as a store fault. */
  const reading = <T>(read: () => T): T => {
    try {
      return read();
    } catch (error) {
      throw sqliteFault(error) ?? error;
    }
  };
  const readAllSync = (after: number, limit: number): RecordedEvent[] => {
    const first = recent[0];
    if (first && after + 1 >= first.globalPosition) {
      const from = after + 1 - first.globalPosition;
      if (from >= recent.length) return [];
      return recent.slice(from, limit < 0 ? undefined : from + limit);
    }
    return reading(() => stmt.all.all(after, limit) as RawEventRow[]).map(fromRawRow);
  };

  /** A retry of a stored batch returns the stored result; anything half-stored or different is a conflict. */
  function findReplay(stream: string, events: EventToAppend[]): AppendResult | undefined {
    const stored: EventRow[] = [];
    let firstNew: string | undefined;
    for (const event of events) {
      const row = stmt.byId.get(event.id) as EventRow | undefined;
      if (!row) firstNew ??= event.id;
      // The stored content is compared only when an id comes back: no hash is kept per event.
      else if (contentKey(row.stream, toRecorded(row)) !== contentKey(stream, event))
        throw new IdempotencyConflictError(event.id);
      else stored.push(row);
    }
    if (stored.length === 0) return undefined;
    if (firstNew !== undefined) throw new IdempotencyConflictError(stored[0]!.id);
    const recorded = stored.map(toRecorded).sort((a, b) => a.globalPosition - b.globalPosition);
    const last = recorded[recorded.length - 1]!;
    return { events: recorded, streamRevision: last.streamRevision, lastPosition: last.globalPosition, replayed: true };
  }

  let sealer: { seal: GroupSealer; insert: Database.Statement } | undefined;
  /** Whether the append `insertBatch` is writing is its group's only one. */
  let soleAppend = false;
  /** How the batch `insertBatch` last stored was handed to the sealer (and its lines), while the log seals groups. */
  let batchSealed: { lines: (string | undefined)[] | undefined } | undefined;

  const insertRow = (e: RecordedEvent, data: string, metadata: string): void =>
    void stmt.insert.run(
      e.globalPosition,
      e.id,
      e.stream,
      e.streamRevision,
      e.type,
      e.schemaVersion,
      e.occurredAt,
      e.recordedAt,
      e.recordedBy,
      data,
      metadata,
    );

  /** INSERT_ROWS rows at once; prepared when first used (a read-only store never inserts). */
  let insertMany: Database.Statement | undefined;
  /** Its parameters, reused: a run binds them before it returns. */
  const manyArgs: unknown[] = new Array<unknown>(COLUMN_COUNT * INSERT_ROWS);
  /** Rows of the append being stored that are in: a failure before any is a retry's first row refused. */
  let rowsInserted = 0;

  /**
   * Inserts a run of rows: `events[run.from + k]` with `run.data[k]` and `run.metadata[k]`, sixteen to
   * a statement and the rest one by one. A statement that fails leaves none of its rows (SQLite
   * undoes a statement whole); `rowsInserted` counts those in before it.
   */
  function insertRun(events: readonly RecordedEvent[], run: HeldRows): void {
    const count = run.data.length;
    let k = 0;
    for (; k + INSERT_ROWS <= count; k += INSERT_ROWS) {
      for (let j = 0; j < INSERT_ROWS; j++) {
        const e = events[run.from + k + j]!;
        const at = j * COLUMN_COUNT;
        manyArgs[at] = e.globalPosition;
        manyArgs[at + 1] = e.id;
        manyArgs[at + 2] = e.stream;
        manyArgs[at + 3] = e.streamRevision;
        manyArgs[at + 4] = e.type;
        manyArgs[at + 5] = e.schemaVersion;
        manyArgs[at + 6] = e.occurredAt;
        manyArgs[at + 7] = e.recordedAt;
        manyArgs[at + 8] = e.recordedBy;
        manyArgs[at + 9] = run.data[k + j];
        manyArgs[at + 10] = run.metadata[k + j];
      }
      insertMany ??= db.prepare(
        `INSERT INTO events (${COLUMNS}) VALUES ${Array.from({ length: INSERT_ROWS }, () => `(${params(COLUMN_COUNT)})`).join(', ')}`,
      );
      insertMany.run(manyArgs);
      rowsInserted += INSERT_ROWS;
    }
    for (; k < count; k++) {
      insertRow(events[run.from + k]!, run.data[k]!, run.metadata[k]!);
      rowsInserted++;
    }
  }

  /**
   * A retry repeats its first id, stored already: then the stored batch answers, or a conflict is
   * thrown when the rest differs. Asked only when an append cannot go ahead (its expected revision
   * is not the stream's, or its first row is refused), so an append that succeeds costs no look-up.
   */
  const replayOf = (stream: string, events: EventToAppend[]): AppendResult | undefined =>
    stmt.byId.get(events[0]!.id) !== undefined ? findReplay(stream, events) : undefined;

  /**
   * The head and the streams' revisions as this group's appends left them, so that only the
   * group's first append asks SQLite. Set from each append that lands; an append that fails wrote
   * nothing (its savepoint, or its one INSERT, is undone), so it changes neither. Reset as each
   * group begins and once it is done.
   */
  let groupHead: number | undefined;
  const groupRevisions = new Map<string, number | undefined>();

  function insertBatch(stream: string, events: EventToAppend[], expected: ExpectedRevision): AppendResult {
    batchSealed = undefined;
    const actual = groupRevisions.has(stream) ? groupRevisions.get(stream) : streamRevisionSync(stream);
    try {
      checkExpected(stream, expected, actual);
    } catch (error) {
      // A retry after success must succeed, whatever the stream's revision is now.
      const replay = replayOf(stream, events);
      if (replay) return replay;
      throw error;
    }
    const recordedAt = clock().toISOString();
    let position = groupHead ?? headSync();
    let revision = actual ?? -1;
    // Each event's row and its RecordedEvent are built once, side by side: the stored event is the
    // appended one, nothing is parsed back.
    const recorded: RecordedEvent[] = new Array<RecordedEvent>(events.length);
    // While the log seals groups, either data and metadata are written as RFC 8785 JSON, and the
    // log's leaf is put together from those two strings instead of serializing the event again, or
    // (a large batch) runs of rows' JSON go to the sealer, for another thread.
    const seal = sealer?.seal;
    const form = seal?.begin(events.length);
    const lines = form === 'lines' ? new Array<string | undefined>(events.length) : undefined;
    // Rows are inserted a run at a time (insertRun): INSERT_ROWS, or, for 'rows', runs of ROWS_RUN
    // handed to the sealer just before they are inserted, so another thread hashes while they are.
    const runLength = form === 'rows' ? ROWS_RUN : INSERT_ROWS;
    let held: HeldRows = { from: 0, data: [], metadata: [] };
    rowsInserted = 0;
    try {
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        position++;
        revision++;
        // Every row's JSON in RFC 8785 form, log on or off, 'lines' or 'rows': an event's line is then
        // its row's texts with the envelope around them, and whoever makes it later (the leaf thread,
        // a tree recomputed at a start, its background check) checks the texts instead of parsing and
        // serializing them again (log/canonical-check.ts). It costs about 0.2 µs an event more than
        // JSON.stringify; data it cannot write so (not plain JSON) is stored as JSON.stringify writes it.
        const canonicalData = canonicalJson(event.data);
        const canonicalMetadata = canonicalJson(event.metadata);
        const data = canonicalData ?? JSON.stringify(event.data) ?? 'null';
        const metadata = canonicalMetadata ?? JSON.stringify(event.metadata);
        const stored: RecordedEvent = {
          id: event.id,
          type: event.type,
          stream,
          streamRevision: revision,
          globalPosition: position,
          occurredAt: event.occurredAt,
          recordedAt,
          recordedBy: event.recordedBy,
          schemaVersion: event.schemaVersion,
          data: event.data,
          metadata: event.metadata,
        };
        recorded[i] = stored;
        if (lines)
          lines[i] =
            canonicalData !== undefined && canonicalMetadata !== undefined
              ? exportLineOf(stored, canonicalData, canonicalMetadata)
              : undefined;
        held.data.push(data);
        held.metadata.push(metadata);
        if (i < events.length - 1 && held.data.length < runLength) continue;
        if (form === 'rows') seal?.written(recorded.slice(held.from, i + 1), held);
        insertRun(recorded, held);
        held = { from: i + 1, data: [], metadata: [] };
      }
      batchSealed = form ? { lines } : undefined;
    } catch (error) {
      // A retry's first row is refused before anything of it is written: the stored batch answers.
      // (Once rows of this append are in, looking its ids up would find them too.)
      if (rowsInserted === 0 && db.inTransaction) {
        const replay = replayOf(stream, events);
        if (replay) return replay;
      }
      findReplay(stream, events); // throws IdempotencyConflictError when a later id was stored already
      throw error;
    }
    return { events: recorded, streamRevision: revision, lastPosition: position, replayed: false };
  }

  // Called inside the group transaction, better-sqlite3 runs this as a SAVEPOINT.
  const appendInSavepoint = db.transaction(insertBatch);
  /**
   * Whether an append of several events is written in a savepoint of its own: only when the group
   * holds other appends, which must not fail with it. The group's only append (the writer's one
   * append of everything it decided) needs none: the group's transaction is its unit. And a
   * savepoint costs each row three times over: the no-replace trigger makes every INSERT keep a
   * statement journal, and inside a savepoint SQLite keeps them all until it ends, spilled to a
   * temporary file: 19-23 µs a row against 7-12 µs (`npm run bench -- --only layers`, store.append).
   */
  const inSavepoint = (events: readonly EventToAppend[]) => events.length > 1 && !soleAppend;

  const commitGroup = db.transaction((group: PendingAppend[]): Outcome[] => {
    soleAppend = group.length === 1;
    groupHead = undefined;
    groupRevisions.clear();
    const outcomes = group.map((p): Outcome => {
      try {
        // One event is one INSERT, which SQLite undoes whole when it fails: no savepoint needed.
        const result = inSavepoint(p.events)
          ? appendInSavepoint(p.stream, p.events, p.expected)
          : insertBatch(p.stream, p.events, p.expected);
        if (!result.replayed) {
          groupHead = result.lastPosition;
          groupRevisions.set(p.stream, result.streamRevision);
        }
        // Only once its savepoint is released: a batch rolled back is never hashed.
        if (batchSealed && !result.replayed) sealer?.seal.stored(result.events, batchSealed.lines);
        return { ok: true, result };
      } catch (error) {
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction; then the
        // group is lost and the rest must not run in autocommit mode.
        if (!db.inTransaction) throw error;
        // Rows of an append written outside a savepoint may be in: the whole group is rolled back.
        if (p.events.length > 1 && !inSavepoint(p.events)) throw error;
        return { ok: false, error };
      }
    });
    groupHead = undefined;
    groupRevisions.clear();
    if (sealer) {
      const added: RecordedEvent[] = [];
      for (const o of outcomes) if (o.ok && !o.result.replayed) for (const e of o.result.events) added.push(e);
      const row = added.length > 0 ? sealer.seal.seal(added) : undefined;
      if (row) sealer.insert.run(row.treeSize, row.rootHash, row.issuedAt, row.note);
    }
    return outcomes;
  });

  let queue: PendingAppend[] = [];
  let cancelFlush: (() => void) | undefined;
  let closed = false;
  const subscriptions = new Set<AllSubscription>();

  function flush(): void {
    cancelFlush?.();
    cancelFlush = undefined;
    const group = queue;
    queue = [];
    if (group.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = commitGroup.immediate(group);
    } catch (error) {
      // Nothing of the group was committed: SQLite rolled it back whole.
      sealer?.seal.settled(false);
      const fault = sqliteFault(error) ?? error;
      for (const p of group) p.reject(fault);
      return;
    }
    sealer?.seal.settled(true);
    for (const [i, outcome] of outcomes.entries()) {
      const p = group[i]!;
      if (outcome.ok) {
        if (!outcome.result.replayed) remember(outcome.result.events);
        p.resolve(outcome.result);
      } else p.reject(sqliteFault(outcome.error) ?? outcome.error);
    }
    if (outcomes.some((o) => o.ok && !o.result.replayed)) {
      for (const s of subscriptions) s.wake();
      forgetDelivered();
    }
  }

  function scheduleFlush(): void {
    if (cancelFlush) return;
    if (groupCommitMs > 0) {
      const timer = setTimeout(flush, groupCommitMs);
      cancelFlush = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(flush);
      cancelFlush = () => clearImmediate(immediate);
    }
  }

  function ensureOpen(): void {
    if (closed) throw new Error('the event store is closed');
  }

  const durability: SqliteDurability = {
    journalMode: db.pragma('journal_mode', { simple: true }) as string,
    synchronous: db.pragma('synchronous', { simple: true }) as number,
    groupCommitMs,
  };

  return {
    engine: 'sqlite',
    // A snapshot has no file another thread could open.
    file: readonly === 'snapshot' ? ':memory:' : options.file,
    ...(readonly === 'snapshot' ? { snapshotOf: options.file } : {}),
    durability,

    checkpointTables() {
      ensureOpen();
      return reading(() => readCheckpointTables(db));
    },

    sealGroupsWith(seal) {
      ensureOpen();
      const insert = db.prepare(
        'INSERT OR IGNORE INTO log_checkpoints (tree_size, root_hash, issued_at, note) VALUES (?, ?, ?, ?)',
      );
      sealer = { seal, insert };
    },

    append(stream, events, expected) {
      try {
        ensureOpen();
        if (readonly)
          throw new StoreFault('store-read-only', `the event store ${options.file} is open for reading only`);
        validateAppend(events, expected);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ stream, events, expected, resolve, reject });
        scheduleFlush();
      });
    },

    async readStream(stream, readOptions) {
      ensureOpen();
      const rows = reading(() => stmt.stream.all(stream, readOptions?.after ?? -1, limitOf(readOptions)) as EventRow[]);
      return rows.map(toRecorded);
    },

    async readAll(readOptions) {
      ensureOpen();
      return readAllSync(readOptions?.after ?? 0, limitOf(readOptions));
    },

    async readExportLines(after, limit, keep) {
      ensureOpen();
      const rows = reading(() => stmt.all.all(after, limit) as RawEventRow[]);
      const lines = rows.map((row) => {
        const envelope = envelopeOfRow(row);
        return keep === undefined || keep(envelope) ? exportLineOfRow(row, envelope) : undefined;
      });
      return { positions: rows.map((row) => row[0]), lines };
    },

    readForFold(after, limit, filter) {
      ensureOpen();
      if (filter?.only && filter.except) throw new Error('readForFold takes `only` or `except`, not both');
      let rows: unknown[];
      if (filter?.only) rows = filtered('only', filter.only.length, stmt.forFoldOnly).all(after, ...filter.only, limit);
      else if (filter?.except) {
        const { types, unlessContains } = filter.except;
        rows = filtered('except', types.length, stmt.forFoldExcept).all(after, ...types, unlessContains, limit);
      } else rows = stmt.forFold.all(after, limit);
      return (rows as FoldRow[]).map(fromFoldRow);
    },

    readForFoldMarked(after, limit, mark) {
      ensureOpen();
      const rows = filtered('marked', mark.types.length, stmt.forFoldMarked).all(
        ...mark.types,
        mark.unlessContains,
        after,
        limit,
      ) as [...FoldRow, number][];
      const events = new Array<StoredEvent>(rows.length);
      const marked = new Array<boolean>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        events[i] = fromFoldRow(row as unknown as FoldRow);
        marked[i] = row[8] === 1;
      }
      return { events, marked };
    },

    async readByIds(ids) {
      ensureOpen();
      if (ids.length === 0) return [];
      // One id (a reversal's target) is one index probe; json_each is for batches.
      if (ids.length === 1) {
        const row = reading(() => stmt.byId.get(ids[0]) as EventRow | undefined);
        return row ? [toRecorded(row)] : [];
      }
      return reading(() => stmt.byIds.all(JSON.stringify(ids)) as EventRow[]).map(toRecorded);
    },

    async streamRevision(stream) {
      ensureOpen();
      return reading(() => streamRevisionSync(stream));
    },

    async headPosition() {
      ensureOpen();
      return reading(headSync);
    },

    /** The immutability triggers must be in place: a file whose triggers were dropped is not a ledger. */
    async integrityProblems() {
      ensureOpen();
      const triggers = new Set(
        (db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]).map(
          (r) => r.name,
        ),
      );
      return IMMUTABILITY_TRIGGERS.filter((name) => !triggers.has(name)).map(
        (name) => `the events table lacks its trigger ${name}: UPDATE or DELETE may no longer be refused`,
      );
    },

    subscribeToAll(after, handlers) {
      ensureOpen();
      const subscription = new AllSubscription(after, handlers, readAllSync, () => subscriptions.delete(subscription));
      subscriptions.add(subscription);
      subscription.wake();
      return subscription;
    },

    async close() {
      if (closed) return;
      flush(); // Pending appends were promised a commit: do it before closing.
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      db.close();
    },
  };
}

/** Lets close() called from inside onEvent skip waiting for that very handler call. */
const inHandler = new AsyncLocalStorage<AllSubscription>();
let deliveriesRunning = 0;

/**
 * Runs a delivery in its subscription's async context. On Node 20 an enabled AsyncLocalStorage
 * runs an async hook for every promise and tick in the process: about 2 µs of the 14 a cached
 * GET's 304 costs. So it is enabled only while a delivery runs, and disabled when none does.
 */
function inDeliveryContext(subscription: AllSubscription, deliver: () => Promise<void>): Promise<void> {
  deliveriesRunning++;
  return inHandler.run(subscription, deliver).finally(() => {
    if (--deliveriesRunning === 0) inHandler.disable();
  });
}

/**
 * Catch-up then live, in one loop: read pages after the last delivered
 * position until a read comes back empty. Commits wake the loop. A wake while
 * it runs needs no flag: the loop reads again before stopping, and the empty
 * read and `running = false` happen in one synchronous step, so no commit can
 * slip between them.
 */
class AllSubscription implements Subscription {
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private caughtUp = false;
  private closed = false;

  constructor(
    private position: number,
    private readonly handlers: SubscribeHandlers,
    private readonly read: (after: number, limit: number) => RecordedEvent[],
    private readonly detach: () => void,
  ) {}

  /** The position of the last event delivered. */
  get delivered(): number {
    return this.position;
  }

  wake(): void {
    if (this.closed || this.running) return;
    this.running = true;
    // The whole delivery runs in this subscription's async context, so close() called from a handler knows it.
    this.done = inDeliveryContext(this, () => this.pump()).catch((error: unknown) => this.fail(error));
  }

  private async pump(): Promise<void> {
    for (;;) {
      const page = this.closed ? [] : this.read(this.position, SUBSCRIPTION_PAGE);
      if (page.length === 0) {
        this.running = false;
        if (!this.caughtUp && !this.closed) {
          this.caughtUp = true;
          this.handlers.onCaughtUp?.(this.position);
        }
        return;
      }
      for (const event of page) {
        if (this.closed) break;
        // Await only a handler that is asynchronous: a microtask per event adds up over a million.
        const pending = this.handlers.onEvent(event);
        if (pending !== undefined) await pending;
        this.position = event.globalPosition;
      }
    }
  }

  private fail(error: unknown): void {
    this.running = false;
    this.closed = true;
    this.detach();
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.handlers.onError) this.handlers.onError(err);
    // Nobody listens: crash loudly rather than let a projection stall in silence.
    else
      process.nextTick(() => {
        throw err;
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.detach();
    if (inHandler.getStore() === this) return; // Called from onEvent: waiting for ourselves would deadlock.
    await this.done;
  }
}
