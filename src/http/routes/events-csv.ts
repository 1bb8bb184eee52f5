/**
 * The event log as CSV, for auditors who open it in a spreadsheet: one row
 * per line item (an event without lines is one row), the envelope repeated
 * on each row so a row stands alone when sorted or filtered. Streamed page by
 * page through csv-stringify, which quotes commas, quotes and newlines.
 */
import { pipeline, Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { stringify } from 'csv-stringify';
import type { RecordedEvent, Source } from '../../../events/index.js';
import type { EventStore } from '../../store/port.js';

/** The columns, in order, with what each holds: the README and the OpenAPI document show this list. */
export const CSV_COLUMNS = {
  position: 'global position of the event in the log',
  eventId: 'the event id (a batch of lines shares it)',
  type: 'event type, e.g. DonationReceived',
  stream: 'stream of the event',
  streamRevision: 'revision of the event in its stream',
  schemaVersion: 'version of the event type',
  occurredAt: 'business time (UTC)',
  occurredPrecision: 'instant, day, month, year or range',
  occurredFrom: 'for a range: the earliest it can have happened',
  recordedAt: 'recording time (UTC)',
  recordedBy: 'principal of the key that recorded it',
  lineNo: 'the line number within the event, from 1; empty when the event moves nothing by line',
  itemType: 'item type of the line (ItemTypeRegistered: the type registered)',
  quantity: 'the figure used in totals (the lower bound when inexact); personnel events: the headcount',
  quantityPrecision: 'exact, at-least or approximate',
  quantityUpTo: 'upper bound of an approximate figure',
  quantityReported: "the source's own words for the figure",
  serials: 'serial numbers of the line, separated by ;',
  sourceDocument: 'file name, report number or URL of the source',
  sourceReference: 'where in the document',
  sourceReporter: 'who reported it',
  sourceNote: 'how the figure was read from the source',
  sourceAlsoCites: 'other documents reporting the same fact, as a JSON array',
  correlationId: 'correlation id',
  causationId: 'causation id',
  details: "the rest of the event's data (parties, shipment, location…) as JSON",
} as const;
export type CsvColumn = keyof typeof CSV_COLUMNS;
export type CsvRow = Record<CsvColumn, string | number | undefined>;

interface QuantityLike {
  value: number;
  precision?: string;
  upTo?: number;
  reported?: string;
}
interface LineLike {
  itemType: string;
  quantity: QuantityLike;
  serials?: { serial: string }[];
}

const quantityCells = (q: QuantityLike | undefined) => ({
  quantity: q?.value,
  quantityPrecision: q?.precision,
  quantityUpTo: q?.upTo,
  quantityReported: q?.reported,
});

/** The rows of one event: one per line item, or one. Pure, for tests. */
export function csvRows(event: RecordedEvent): CsvRow[] {
  const { lines, count, ...rest } = (event.data ?? {}) as {
    lines?: LineLike[];
    count?: QuantityLike;
    itemType?: unknown;
  };
  const metadata = event.metadata as { occurredPrecision?: string; occurredFrom?: string; source?: Source } & Record<
    string,
    string | undefined
  >;
  const source = metadata.source;
  const envelope = {
    position: event.globalPosition,
    eventId: event.id,
    type: event.type,
    stream: event.stream,
    streamRevision: event.streamRevision,
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt,
    occurredPrecision: metadata.occurredPrecision,
    occurredFrom: metadata.occurredFrom,
    recordedAt: event.recordedAt,
    recordedBy: event.recordedBy,
    sourceDocument: source?.document,
    sourceReference: source?.reference,
    sourceReporter: source?.reporter,
    sourceNote: source?.note,
    sourceAlsoCites: source?.alsoCites ? JSON.stringify(source.alsoCites) : undefined,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId,
    details: Object.keys(rest).length > 0 ? JSON.stringify(rest) : undefined,
  };
  if (!Array.isArray(lines) || lines.length === 0)
    return [
      {
        ...envelope,
        lineNo: undefined,
        // ItemTypeRegistered names its item type outside any line.
        itemType: typeof rest.itemType === 'string' ? rest.itemType : undefined,
        serials: undefined,
        ...quantityCells(count),
      },
    ];
  return lines.map((line, index) => ({
    ...envelope,
    lineNo: index + 1,
    itemType: line.itemType,
    serials: line.serials?.map((s) => s.serial).join(';'),
    ...quantityCells(line.quantity),
  }));
}

/** CSV when asked by `format=csv`, or without `format` by an Accept header naming text/csv; NDJSON stays the default. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  return /(^|,)\s*text\/csv\s*(;|,|$)/i.test(accept ?? '');
}

const PAGE = 1000;

/** Streams the events after `after` up to `head` that pass `predicate`, as CSV rows. */
export function sendCsvExport(
  reply: FastifyReply,
  store: EventStore,
  range: { after: number; head: number },
  predicate: ((event: RecordedEvent) => boolean) | undefined,
): FastifyReply {
  async function* rows(): AsyncGenerator<CsvRow> {
    let cursor = range.after;
    while (cursor < range.head) {
      const page = await store.readAll({ after: cursor, limit: PAGE });
      if (page.length === 0) return;
      for (const event of page) {
        if (event.globalPosition > range.head) return;
        cursor = event.globalPosition;
        if (predicate === undefined || predicate(event)) yield* csvRows(event);
      }
      if (page.length < PAGE) return;
    }
  }
  const csv = stringify({ header: true, columns: Object.keys(CSV_COLUMNS), bom: false });
  // A client that hangs up destroys the CSV stream, and with it the reading.
  pipeline(Readable.from(rows()), csv, (error) => {
    if (error && (error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE')
      reply.log.warn({ err: error }, 'CSV export ended early');
  });
  return reply
    .type('text/csv; charset=utf-8; header=present')
    .header('content-disposition', 'attachment; filename="mss-ledger-events.csv"')
    .header('x-ledger-position', range.head)
    .header('cache-control', 'no-store')
    .send(csv);
}
