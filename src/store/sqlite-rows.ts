/**
 * The events table's columns and how one of its rows becomes a RecordedEvent: shared by the store
 * (sqlite.ts) and by the thread that recomputes the log's tree from its own connection
 * (log/tree-worker.ts), which must read exactly the events the store reads.
 */
import type { EventMetadata, RecordedEvent } from '../../events/index.js';

export const COLUMNS = `position, id, stream, stream_revision, type, schema_version, occurred_at,
  recorded_at, recorded_by, data, metadata`;

/** A row of COLUMNS as an array: better-sqlite3's raw mode makes no object per row, a sixth of a catch-up's reading. */
export type RawEventRow = [number, string, string, number, string, number, string, string, string, string, string];

export const fromRawRow = (row: RawEventRow): RecordedEvent => ({
  id: row[1],
  type: row[4],
  stream: row[2],
  streamRevision: row[3],
  globalPosition: row[0],
  occurredAt: row[6],
  recordedAt: row[7],
  recordedBy: row[8],
  schemaVersion: row[5],
  data: JSON.parse(row[9]) as unknown,
  metadata: JSON.parse(row[10]) as EventMetadata,
});
