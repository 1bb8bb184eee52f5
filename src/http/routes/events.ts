/**
 * Recording and reading events: `POST /v1/events` (one event or an atomic
 * batch, optionally conditional on the ledger's revision), `GET /v1/events`
 * (the log, filtered, paginated by position) and `GET /v1/events/export`
 * (NDJSON, streamed).
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import {
  eventCatalogue,
  IncomingEvent,
  TimePrecision,
  toInstant,
  type EventMetadata,
  type RecordedEvent,
} from '../../../events/index.js';
import type { Proposal } from '../../ledger/decide.js';
import { exportLine } from '../../log/leaf.js';
import type { ExportLinesPage } from '../../store/port.js';
import { illFormedTextAt } from '../../../events/text.js';
import { issueFromZod, Problem, schemaProblem, sendProblem, type SchemaIssue } from '../problem.js';
import type { LedgerDeps } from '../deps.js';
import { envelopePredicate, eventPredicate, FilterFields } from './event-filter.js';
import { IF_MATCH_FORMS, parseIfMatch } from '../if-match.js';
import { linkNextPage } from '../paging.js';
import { sendCsvExport, wantsCsv } from './events-csv.js';

export const MAX_BATCH = 1000;

export const EventsBody = z.union([IncomingEvent, z.array(IncomingEvent).min(1).max(MAX_BATCH)]).meta({
  id: 'EventsBody',
  description: `One event, or an array of up to ${MAX_BATCH} events recorded atomically: all or none.`,
});

export const StoredEvent = z
  .object({
    id: z.string(),
    type: z.string(),
    stream: z.string(),
    streamRevision: z.number().int(),
    globalPosition: z.number().int(),
    occurredAt: z.string(),
    recordedAt: z.string(),
    recordedBy: z.string(),
    schemaVersion: z.number().int(),
    data: z.unknown(),
    metadata: z.object({
      occurredPrecision: TimePrecision,
      occurredFrom: z.string().optional(),
      source: z.unknown().optional(),
      correlationId: z.string().optional(),
      causationId: z.string().optional(),
    }),
  })
  .meta({ id: 'StoredEvent' });

const Receipt = z
  .object({
    replayed: z.boolean().describe('true when every event was already recorded: this answer repeats the original'),
    position: z.number().int().describe('global position of the last event of the batch'),
    events: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        globalPosition: z.number().int(),
        streamRevision: z.number().int(),
        occurredAt: z.string(),
        recordedAt: z.string(),
      }),
    ),
  })
  .meta({ id: 'Receipt' });

/**
 * One event or a batch: the body is parsed branch by branch so a problem in
 * event 3 of a batch is reported at `[3].data…` rather than as a failed union.
 */
export function parseEventsBody(body: unknown): { events: IncomingEvent[] } | { issues: SchemaIssue[] } {
  const items = Array.isArray(body) ? body : [body];
  if (Array.isArray(body) && (body.length === 0 || body.length > MAX_BATCH))
    return { issues: [{ field: '', rule: 'schema-invalid', message: `a batch holds 1 to ${MAX_BATCH} events` }] };
  const events: IncomingEvent[] = [];
  const issues: SchemaIssue[] = [];
  for (let index = 0; index < items.length; index++) {
    const parsed = IncomingEvent.safeParse(items[index]);
    const illFormed = parsed.success ? illFormedTextAt(parsed.data) : undefined;
    if (illFormed !== undefined) {
      const field = Array.isArray(body) ? `[${index}]${illFormed ? `.${illFormed}` : ''}` : illFormed;
      issues.push({ field, rule: 'schema-invalid', message: 'text must be well-formed Unicode (no lone surrogates)' });
    } else if (parsed.success) events.push(parsed.data);
    else
      for (const issue of parsed.error.issues) {
        const found = issueFromZod(issue);
        issues.push(
          Array.isArray(body) ? { ...found, field: `[${index}]${found.field ? `.${found.field}` : ''}` } : found,
        );
      }
  }
  if (events.length > 1 && repeatsAnId(events))
    issues.push({ field: 'id', rule: 'schema-invalid', message: 'event ids must be unique within a batch' });
  return issues.length > 0 ? { issues } : { events };
}

function repeatsAnId(events: IncomingEvent[]): boolean {
  const ids = new Set<string>();
  for (const { id } of events) {
    if (id === undefined) continue;
    if (ids.has(id)) return true;
    ids.add(id);
  }
  return false;
}

/** Gives every event an id (UUIDv7: time-ordered) and UTC instants, and gathers its metadata. */
export function toProposal(event: IncomingEvent): Proposal {
  // Built field by field (no spreads): this runs for every event posted.
  const metadata: EventMetadata = {
    occurredPrecision: event.occurredPrecision ?? (event.occurredAt.length === 10 ? 'day' : 'instant'),
  };
  if (event.occurredFrom) metadata.occurredFrom = toInstant(event.occurredFrom);
  if (event.source) metadata.source = event.source;
  if (event.correlationId) metadata.correlationId = event.correlationId;
  if (event.causationId) metadata.causationId = event.causationId;
  const type = event.type;
  const schemaVersion = eventCatalogue[type].version;
  const occurredAt = toInstant(event.occurredAt);
  return (
    event.id === undefined
      ? { id: uuidv7(), idAssigned: true, type, schemaVersion, occurredAt, data: event.data, metadata }
      : { id: event.id, type, schemaVersion, occurredAt, data: event.data, metadata }
  ) as Proposal;
}

/** Events scanned at most per GET /v1/events request; the cursor carries on from there. */
export const SCAN_BUDGET = 10_000;
const EXPORT_PAGE = 1000;

const ListQuery = z
  .object({
    after: z.coerce.number().int().min(0).default(0).describe('cursor: the position of the last event already read'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    ...FilterFields,
  })
  .strict();

const ExportQuery = z
  .object({
    after: z.coerce.number().int().min(0).default(0).describe('start after this global position'),
    format: z
      .enum(['ndjson', 'csv'])
      .optional()
      .describe('ndjson (default) or csv; without it, `Accept: text/csv` asks for CSV'),
    ...FilterFields,
  })
  .strict();

export const eventRoutes: FastifyPluginAsync<LedgerDeps> = async (app, deps) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const metrics = app.metrics;

  typed.post(
    '',
    {
      config: { access: 'record' },
      schema: {
        summary: 'Record one event, or a batch atomically',
        description:
          'Idempotent by event id: posting the same id with the same content again answers 200 with the original positions, `replayed: true` and the header `Idempotent-Replayed: true`; the same id with other content is a 409 (`idempotency-conflict`). With `If-Match: "<revision>"` the batch is recorded only if the ledger stream is still at that revision; otherwise 412 (`expected-revision-mismatch`) with the current revision in `context`. The principal of the API key is stored as `recordedBy`.',
        tags: ['events'],
        body: EventsBody,
        response: { 200: Receipt, 201: Receipt, 400: Problem, 409: Problem, 412: Problem, 422: Problem },
      },
      // Parsed in the handler, so a batch's problems name the event's index.
      validatorCompiler: () => (data) => ({ value: data }),
      // The receipt is built below from typed values: checking it against its schema again, per
      // event, only costs. The problems keep the checked serializer.
      serializerCompiler: (route) =>
        route.httpStatus === '200' || route.httpStatus === '201'
          ? (data) => JSON.stringify(data)
          : serializerCompiler(route as unknown as Parameters<typeof serializerCompiler>[0]),
    },
    async (request, reply) => {
      const expectedRevision = parseIfMatch(request.headers['if-match']);
      if (expectedRevision === 'invalid')
        return sendProblem(
          reply,
          schemaProblem(
            [{ field: 'If-Match', rule: 'schema-invalid', message: `must be ${IF_MATCH_FORMS}` }],
            request.url,
            'headers',
          ),
        );
      const parsed = parseEventsBody(request.body);
      if ('issues' in parsed) return sendProblem(reply, schemaProblem(parsed.issues, request.url));
      const result = await deps.writer.submit({
        proposals: parsed.events.map(toProposal),
        recordedBy: request.principal ?? 'anonymous',
        ...(expectedRevision === undefined ? {} : { expectedRevision }),
      });
      const last = result.events[result.events.length - 1];
      if (result.replayed) {
        metrics.replays++;
        reply.header('idempotent-replayed', 'true');
      } else {
        metrics.appends++;
        metrics.appendedEvents += result.events.length;
        if (last) reply.header('etag', `"${last.streamRevision}"`);
      }
      return reply.code(result.replayed ? 200 : 201).send({
        replayed: result.replayed,
        position: last?.globalPosition ?? 0,
        events: result.events.map((e) => ({
          id: e.id,
          type: e.type,
          globalPosition: e.globalPosition,
          streamRevision: e.streamRevision,
          occurredAt: e.occurredAt,
          recordedAt: e.recordedAt,
        })),
      });
    },
  );

  typed.get(
    '',
    {
      config: { access: 'log' },
      schema: {
        summary: 'Read the event log in recording order, filtered, with a cursor',
        description: `Filters combine with AND. A request scans at most ${SCAN_BUDGET.toLocaleString('en')} events of the log: a page may hold fewer than \`limit\` events (even none) and still have a \`next\` cursor. Read on until \`next\` is null; while there is one, \`Link: <…>; rel="next"\` names the next page.`,
        tags: ['events'],
        querystring: ListQuery,
        response: {
          200: z.object({
            events: z.array(StoredEvent),
            next: z
              .number()
              .int()
              .nullable()
              .describe('pass as `after` for the next page; null when the end of the log was reached'),
          }),
          400: Problem,
        },
      },
    },
    async (request, reply) => {
      const { after, limit, ...filter } = request.query;
      const predicate = eventPredicate(filter);
      const events: RecordedEvent[] = [];
      let cursor = after;
      let scanned = 0;
      let end = false;
      // Filtering scans forward page by page until the page is full, the budget spent or the log ends.
      while (events.length < limit && scanned < SCAN_BUDGET) {
        const size = predicate ? EXPORT_PAGE : limit - events.length;
        const page = await deps.store.readAll({ after: cursor, limit: size });
        let consumed = 0;
        for (const event of page) {
          cursor = event.globalPosition;
          consumed++;
          if (predicate === undefined || predicate(event)) events.push(event);
          if (events.length === limit) break;
        }
        scanned += consumed;
        if (page.length < size && consumed === page.length) {
          end = true;
          break;
        }
      }
      const next = end ? null : cursor;
      linkNextPage(request, reply, next);
      return { events, next };
    },
  );

  typed.get(
    '/export',
    {
      config: { access: 'export' },
      schema: {
        summary: 'Export the event log (or a filtered part) as NDJSON or CSV, streamed',
        description:
          'One stored event per line, in recording order, from `after` up to the head of the log when the export started (`X-Ledger-Position`). Streamed page by page with backpressure: the server holds one page at a time, whatever the size of the log.',
        tags: ['events'],
        querystring: ExportQuery,
        response: { 400: Problem },
      },
    },
    async (request, reply) => {
      const { after, format, ...filter } = request.query;
      const predicate = eventPredicate(filter);
      const head = await deps.store.headPosition();
      if (wantsCsv(format, request.headers.accept)) return sendCsvExport(reply, deps.store, { after, head }, predicate);
      const store = deps.store;
      // From a store that makes each line from its row as it is, when the filter (if any) reads only
      // the envelope: nothing parsed. Else the events, read and serialized. Either way an event the
      // filter leaves out has no line, and moves the cursor on.
      const keep = envelopePredicate(filter);
      const fromRows = predicate === undefined || keep !== undefined ? store.readExportLines?.bind(store) : undefined;
      const readLines: (from: number, limit: number) => Promise<ExportLinesPage> =
        (fromRows && ((from, limit) => fromRows(from, limit, keep))) ??
        (async (from, limit) => {
          const page = await store.readAll({ after: from, limit });
          const included = (event: RecordedEvent) =>
            event.globalPosition <= head && (predicate === undefined || predicate(event));
          return {
            positions: page.map((event) => event.globalPosition),
            lines: page.map((event) => (included(event) ? exportLine(event) : undefined)),
          };
        });
      async function* pages(): AsyncGenerator<string> {
        let cursor = after;
        while (cursor < head) {
          const { positions, lines } = await readLines(cursor, EXPORT_PAGE);
          if (positions.length === 0) return;
          let chunk = '';
          for (let i = 0; i < positions.length && positions[i]! <= head; i++) {
            cursor = positions[i]!;
            if (lines[i] !== undefined) chunk += `${lines[i]}\n`;
          }
          if (chunk !== '') yield chunk;
          if (positions.length < EXPORT_PAGE) return;
        }
      }
      return reply
        .type('application/x-ndjson; charset=utf-8')
        .header('content-disposition', 'attachment; filename="mss-ledger-events.ndjson"')
        .header('x-ledger-position', head)
        .header('cache-control', 'no-store')
        .send(Readable.from(pages(), { objectMode: false, highWaterMark: 64 * 1024 }) as never);
    },
  );
};
