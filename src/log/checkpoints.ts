/**
 * Where the signed checkpoints and witnesses' cosignatures are kept: in the
 * store itself, so a backup carries them. On SQLite: two tables in the same
 * file, append-only by trigger like `events`. A write group's checkpoint is
 * written by the store in the group's own transaction (GroupSealer in
 * src/store/sqlite.ts); the rest (an accepted tail, cosignatures) through a
 * connection of their own. On EventStoreDB: the
 * stream `mss-ledger-log`, its events typed `$mss-ledger-checkpoint` and
 * `$mss-ledger-cosignature` (a `$` type, so the adapter's reads of $all, the
 * tree and the export, pass over them), written through a client of their
 * own. A `:memory:` store keeps them in memory.
 */
import Database from 'better-sqlite3';
import { StoreFault } from '../store/faults.js';

export interface IssuedCheckpoint {
  treeSize: number;
  /** base64 */
  rootHash: string;
  /** When the service signed it (UTC ISO instant). */
  issuedAt: string;
  /** The signed note, as served. */
  note: string;
}

export interface StoredCosignature {
  treeSize: number;
  witness: string;
  /** The signature line, as it is appended to the note. */
  line: string;
  receivedAt: string;
}

type Maybe<T> = T | Promise<T>;

export interface CheckpointStorage {
  readonly where: string;
  /** The SQLite file the checkpoints are kept in, when it is one: the store's, whose group transactions then write them. */
  readonly file?: string;
  load(): Maybe<CheckpointTables>;
  add(checkpoint: IssuedCheckpoint): Maybe<void>;
  addCosignature(cosignature: StoredCosignature): Maybe<void>;
  close(): Maybe<void>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log_checkpoints (
  tree_size INTEGER PRIMARY KEY,
  root_hash TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  note      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS log_cosignatures (
  tree_size   INTEGER NOT NULL,
  witness     TEXT    NOT NULL,
  line        TEXT    NOT NULL,
  received_at TEXT    NOT NULL,
  PRIMARY KEY (tree_size, witness)
);
CREATE TRIGGER IF NOT EXISTS log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS log_cosignatures_no_update BEFORE UPDATE ON log_cosignatures
BEGIN SELECT RAISE(ABORT, 'cosignatures are immutable: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS log_cosignatures_no_delete BEFORE DELETE ON log_cosignatures
BEGIN SELECT RAISE(ABORT, 'cosignatures are append-only: DELETE refused'); END;
`;

export interface CheckpointTables {
  checkpoints: IssuedCheckpoint[];
  cosignatures: StoredCosignature[];
}

/** Both tables' rows have the same shape: a tree size, then three strings. */
type Row = [number, string, string, string];
const rowsOf = (db: Database.Database, sql: string) => db.prepare(sql).raw().all() as Row[];

/** Both tables, in tree-size order, from a SQLite database that has them (none where they were never made). */
export function readCheckpointTables(db: Database.Database): CheckpointTables {
  const made = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_checkpoints'").get();
  if (made === undefined) return { checkpoints: [], cosignatures: [] };
  const checkpoints = rowsOf(
    db,
    'SELECT tree_size, root_hash, issued_at, note FROM log_checkpoints ORDER BY tree_size',
  ).map(([treeSize, rootHash, issuedAt, note]) => ({ treeSize, rootHash, issuedAt, note }));
  const cosignatures = rowsOf(
    db,
    'SELECT tree_size, witness, line, received_at FROM log_cosignatures ORDER BY tree_size',
  ).map(([treeSize, witness, line, receivedAt]) => ({ treeSize, witness, line, receivedAt }));
  return { checkpoints, cosignatures };
}

/**
 * The checkpoints of a store that cannot be written, read once: a copy of a file on a read-only
 * mount (SQLite cannot open it in place there). They are what the file holds, so the history
 * signed before is still verified as signed; anything that would add to them is refused.
 */
export function readOnlyCheckpoints(where: string, tables: CheckpointTables): CheckpointStorage {
  const refuse = (): never => {
    throw new StoreFault('store-read-only', `the checkpoints in ${where} cannot be written`);
  };
  return { where, load: () => tables, add: refuse, addCosignature: refuse, close() {} };
}

export function sqliteCheckpoints(file: string): CheckpointStorage {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // A checkpoint is durable before the group it covers is acknowledged.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO log_checkpoints (tree_size, root_hash, issued_at, note) VALUES (?, ?, ?, ?)',
  );
  const insertCosignature = db.prepare(
    'INSERT OR IGNORE INTO log_cosignatures (tree_size, witness, line, received_at) VALUES (?, ?, ?, ?)',
  );
  return {
    where: `table log_checkpoints in ${file}`,
    file,
    load: () => readCheckpointTables(db),
    add(c) {
      insert.run(c.treeSize, c.rootHash, c.issuedAt, c.note);
    },
    addCosignature(c) {
      insertCosignature.run(c.treeSize, c.witness, c.line, c.receivedAt);
    },
    close() {
      db.close();
    },
  };
}

export function memoryCheckpoints(): CheckpointStorage {
  const checkpoints: IssuedCheckpoint[] = [];
  const cosignatures: StoredCosignature[] = [];
  return {
    where: 'memory (lost at stop)',
    load: () => ({ checkpoints: [...checkpoints], cosignatures: [...cosignatures] }),
    add(c) {
      if (!checkpoints.some((k) => k.treeSize === c.treeSize)) checkpoints.push(c);
    },
    addCosignature(c) {
      cosignatures.push(c);
    },
    close() {},
  };
}

export const ESDB_LOG_STREAM = 'mss-ledger-log';
const CHECKPOINT_TYPE = '$mss-ledger-checkpoint';
const COSIGNATURE_TYPE = '$mss-ledger-cosignature';

export async function eventStoreDbCheckpoints(connectionString: string): Promise<CheckpointStorage> {
  const { EventStoreDBClient, jsonEvent, StreamNotFoundError, FORWARDS, START } = await import('@eventstore/db-client');
  const client = EventStoreDBClient.connectionString(connectionString);
  const append = async (type: string, data: IssuedCheckpoint | StoredCosignature) => {
    await client.appendToStream(ESDB_LOG_STREAM, [jsonEvent({ type, data: data as never })]);
  };
  return {
    where: `stream ${ESDB_LOG_STREAM} on EventStoreDB`,
    async load() {
      const checkpoints: IssuedCheckpoint[] = [];
      const cosignatures: StoredCosignature[] = [];
      try {
        for await (const resolved of client.readStream(ESDB_LOG_STREAM, { fromRevision: START, direction: FORWARDS })) {
          const e = resolved.event;
          if (e?.type === CHECKPOINT_TYPE) {
            const c = e.data as unknown as IssuedCheckpoint;
            // Replicas sign the same checkpoint byte for byte: keep one per tree size.
            if (!checkpoints.some((k) => k.treeSize === c.treeSize)) checkpoints.push(c);
          } else if (e?.type === COSIGNATURE_TYPE) cosignatures.push(e.data as unknown as StoredCosignature);
        }
      } catch (error) {
        if (!(error instanceof StreamNotFoundError)) throw error;
      }
      checkpoints.sort((a, b) => a.treeSize - b.treeSize);
      return { checkpoints, cosignatures };
    },
    add: (c) => append(CHECKPOINT_TYPE, c),
    addCosignature: (c) => append(COSIGNATURE_TYPE, c),
    close: () => client.dispose(),
  };
}
