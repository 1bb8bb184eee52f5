/**
 * Where the signed checkpoints and witnesses' cosignatures are kept: in the
 * store itself, so a backup carries them. On SQLite: two tables in the same
 * file, append-only by trigger like `events`, written through a connection of
 * their own (the store's module stays unaware of them). A store with no file
 * (`:memory:`, EventStoreDB for now) keeps them in memory.
 */
import Database from 'better-sqlite3';

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

export interface CheckpointStorage {
  readonly where: string;
  load(): { checkpoints: IssuedCheckpoint[]; cosignatures: StoredCosignature[] };
  add(checkpoint: IssuedCheckpoint): void;
  addCosignature(cosignature: StoredCosignature): void;
  close(): void;
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
    load() {
      const checkpoints = (
        db
          .prepare('SELECT tree_size, root_hash, issued_at, note FROM log_checkpoints ORDER BY tree_size')
          .raw()
          .all() as [number, string, string, string][]
      ).map(([treeSize, rootHash, issuedAt, note]) => ({ treeSize, rootHash, issuedAt, note }));
      const cosignatures = (
        db
          .prepare('SELECT tree_size, witness, line, received_at FROM log_cosignatures ORDER BY tree_size')
          .raw()
          .all() as [number, string, string, string][]
      ).map(([treeSize, witness, line, receivedAt]) => ({ treeSize, witness, line, receivedAt }));
      return { checkpoints, cosignatures };
    },
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
