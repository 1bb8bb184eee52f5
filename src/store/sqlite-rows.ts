/**
 * The events table's columns and how one of its rows becomes a RecordedEvent, or its export line:
 * shared by the store (sqlite.ts) and by the thread that recomputes the log's tree from its own
 * connection (log/tree-worker.ts), which must read exactly the events the store reads.
 */
import type { EventMetadata, RecordedEvent } from '../../events/index.js';
import { exportLineOfTexts, type Envelope } from '../log/leaf.js';

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

/**
 * A row's envelope: the event but its data and metadata, which stay text. The same fields as
 * `fromRawRow`'s, which stays one object literal of its own: it is every read's path, and an
 * envelope spread into a second object would be two allocations a row there.
 */
export const envelopeOfRow = (row: RawEventRow): Envelope => ({
  id: row[1],
  type: row[4],
  stream: row[2],
  streamRevision: row[3],
  globalPosition: row[0],
  occurredAt: row[6],
  recordedAt: row[7],
  recordedBy: row[8],
  schemaVersion: row[5],
});

/**
 * A row's export line, the event's leaf (`exportLineOfTexts`): put together from the row's own texts
 * where they are in RFC 8785 form already (every row the store writes now), else made from the
 * event parsed back. Either way the line is `exportLine` of the event as the store reads it.
 */
export const exportLineOfRow = (row: RawEventRow, envelope: Envelope = envelopeOfRow(row)): string =>
  exportLineOfTexts(envelope, row[9], row[10]);
