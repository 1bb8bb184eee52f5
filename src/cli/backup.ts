/**
 * `npm run backup -- --to FILE`: a consistent copy of the embedded store,
 * taken while the service runs, then verified.
 *
 * The copy is SQLite's online backup (better-sqlite3's `db.backup`) from a
 * read-only connection. SQLite restarts a backup whenever another process
 * writes between its steps, so under steady load a copy made in small steps
 * might never finish; this one copies every page in a single step, inside
 * one read transaction: a snapshot of one committed state, whatever is
 * appended meanwhile (WAL readers never block the writer, nor it them).
 *
 * The copy is written beside FILE as FILE.partial, checked, and only then
 * renamed to FILE: a FILE that exists is a verified backup.
 */
import { renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../store/sqlite.js';
import { findLedger, parseFlags, runCommand, UsageError } from './command.js';

const USAGE = `Usage: npm run backup -- --to FILE

Copies the embedded store (DATA_DIR/ledger.sqlite, DATA_DIR default ./data) to FILE while the service
runs, and verifies the copy: SQLite's integrity check, the event count against the last position, the
immutability triggers, the last event. FILE must not exist; its directory must.

Restore: stop the service, copy FILE to DATA_DIR/ledger.sqlite, remove ledger.sqlite-wal, ledger.sqlite-shm
and the *.checkpoint files from DATA_DIR, start the service.

Exit codes: 0 backup written and verified, 2 bad arguments or configuration, 1 the backup failed.
`;

/** Pages per backup step: all of them, so the copy is one snapshot (see above). */
const ALL_PAGES = 0x7fffffff;

export interface BackupFacts {
  file: string;
  bytes: number;
  seconds: number;
  integrity: string;
  events: number;
  lastPosition: number;
  lastEventId: string | undefined;
  lastRecordedAt: string | undefined;
  problems: string[];
}

/** What the copy holds, and anything that makes it unfit to restore. */
export async function verifyBackup(file: string): Promise<Omit<BackupFacts, 'seconds' | 'file'>> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let integrity: string;
  let counts: { events: number; last: number };
  let last: { id: string; recorded_at: string } | undefined;
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    integrity = rows.map((r) => r.integrity_check).join('; ');
    counts = db.prepare('SELECT count(*) AS events, coalesce(max(position), 0) AS last FROM events').get() as {
      events: number;
      last: number;
    };
    last = db.prepare('SELECT id, recorded_at FROM events ORDER BY position DESC LIMIT 1').get() as
      { id: string; recorded_at: string } | undefined;
  } finally {
    db.close();
  }
  const problems: string[] = [];
  if (integrity !== 'ok') problems.push(`SQLite's integrity check failed: ${integrity}`);
  // Positions are given out one after another from 1: any gap means events are missing.
  if (counts.events !== counts.last)
    problems.push(`${counts.events} events, but the last position is ${counts.last}: events are missing`);
  // The store's own checks: its layout version, and the triggers that refuse UPDATE and DELETE.
  const store = openSqliteStore({ file, readonly: true });
  try {
    problems.push(...(await store.integrityProblems([])));
  } finally {
    await store.close();
  }
  return {
    bytes: statSync(file).size,
    integrity,
    events: counts.events,
    lastPosition: counts.last,
    lastEventId: last?.id,
    lastRecordedAt: last?.recorded_at,
    problems,
  };
}

/** Copies the store at `source` to `target` (which must not exist) and verifies the copy. */
export async function backupLedger(source: string, target: string): Promise<BackupFacts> {
  const started = process.hrtime.bigint();
  const partial = `${target}.partial`;
  rmSync(partial, { force: true }); // a previous attempt's leftover, never a backup
  try {
    const db = new Database(source, { readonly: true, fileMustExist: true });
    try {
      await db.backup(partial, { progress: () => ALL_PAGES });
    } finally {
      db.close();
    }
    // The copy carries the store's WAL flag; as one self-contained file it restores by a plain copy.
    const copy = new Database(partial, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    const facts = await verifyBackup(partial);
    if (facts.problems.length > 0) throw new Error(`the copy is not fit to restore: ${facts.problems.join('; ')}`);
    renameSync(partial, target);
    return { ...facts, file: target, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/** Arguments checked before anything is read. Undefined for --help. */
export function parseBackupArgs(args: string[]): { to: string } | undefined {
  const values = parseFlags(args, { to: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return undefined;
  if (values.to === undefined || values.to === '')
    throw new UsageError('--to FILE is required: where to write the backup');
  const to = path.resolve(values.to);
  if (statSync(to, { throwIfNoEntry: false }))
    throw new UsageError(`${to} exists: a backup never overwrites a file; choose another name`);
  if (!statSync(path.dirname(to), { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`${path.dirname(to)} is not a directory: create it first`);
  return { to };
}

async function main() {
  const request = parseBackupArgs(process.argv.slice(2));
  if (!request) {
    process.stdout.write(USAGE);
    return;
  }
  const ledger = findLedger();
  if (ledger.kind !== 'sqlite')
    throw new UsageError(
      'EVENTSTORE_CONNECTION_STRING is set: this command copies the embedded store; back up EventStoreDB with its own tools',
    );
  if (request.to === ledger.file) throw new UsageError('--to names the live store itself');
  const facts = await backupLedger(ledger.file, request.to);
  process.stdout.write(
    [
      `backup of ${ledger.file} written to ${facts.file} (${facts.bytes.toLocaleString('en')} bytes, ${facts.seconds.toFixed(2)} s)`,
      `  integrity check: ${facts.integrity}`,
      `  events: ${facts.events.toLocaleString('en')}, positions 1 to ${facts.lastPosition.toLocaleString('en')} without a gap`,
      `  last event: ${facts.lastEventId ?? '(none)'}${facts.lastRecordedAt ? `, recorded ${facts.lastRecordedAt}` : ''}`,
      '  immutability triggers: present',
      '',
    ].join('\n'),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) runCommand(main);
