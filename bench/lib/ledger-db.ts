/** Reads a stopped service's SQLite file to see how well appends were grouped. */
import path from 'node:path';
import Database from 'better-sqlite3';

export interface CommitStats {
  events: number;
  /** Distinct `recordedAt` values: one per append, as the writer appends a whole group at once. */
  appends: number;
  eventsPerAppend: number;
}

/**
 * Events recorded by anyone but the seeding (`seed:…`), and how many appends stored them. Two appends
 * in the same millisecond count as one, so this can only overstate the group size
 * slightly. Undefined when the file or its schema is not what this expects.
 */
export function ledgerCommitStats(dataDir: string): CommitStats | undefined {
  try {
    const db = new Database(path.join(dataDir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const stats = db
        .prepare(
          "SELECT COUNT(*) AS events, COUNT(DISTINCT recorded_at) AS appends FROM events WHERE recorded_by NOT LIKE 'seed:%'",
        )
        .get() as { events: number; appends: number };
      return { ...stats, eventsPerAppend: stats.appends > 0 ? stats.events / stats.appends : 0 };
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}
