/**
 * One writer per data directory. Two services appending to one store file
 * would each decide against a book the other no longer matches.
 *
 * The lock is SQLite's own: a small database beside the ledger held in an
 * EXCLUSIVE transaction for the life of the process. SQLite takes it with a
 * POSIX advisory lock, which the kernel drops when the process ends however
 * it ends (kill -9 included), so there is no stale lock to guess about and no
 * PID file to trust. The holder's PID is written beside it only to name it in
 * the message a second process prints. Readers (replay, backup, the fold's
 * worker thread) never touch it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly holder: string | undefined,
  ) {
    super(
      `another MSS Ledger process${holder ? ` (PID ${holder})` : ''} is using ${dataDir}: stop it first, or set DATA_DIR to another directory`,
    );
  }
}

export interface DataDirLock {
  release(): void;
}

export const lockFile = (dataDir: string) => path.join(dataDir, 'ledger.lock');
const holderFile = (dataDir: string) => path.join(dataDir, 'ledger.lock.pid');

/** Takes the data directory's writer lock, or throws DataDirLockedError naming the holder. */
export function lockDataDir(dataDir: string): DataDirLock {
  const db = new Database(lockFile(dataDir));
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = MEMORY'); // nothing is ever written: no journal file beside it
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      let holder: string | undefined;
      try {
        holder = readFileSync(holderFile(dataDir), 'utf8').trim() || undefined;
      } catch {
        holder = undefined;
      }
      throw new DataDirLockedError(dataDir, holder);
    }
    throw error;
  }
  writeFileSync(holderFile(dataDir), `${process.pid}\n`);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.close(); // closing ends the transaction and drops the lock
    },
  };
}
