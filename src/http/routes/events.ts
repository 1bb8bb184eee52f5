/**
 * Recording and reading events: `POST /v1/events` (one event or an atomic
 * batch) and `GET /v1/events` (the log, paginated by position).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import {
  EVENT_TYPES,
  eventCatalogue,
  IncomingEvent,
  TimePrecision,
  toInstant,
  type EventMetadata,
} from '../../../events/index.js';
import type { Proposal } from '../../ledger/decide.js';
import { issueFromZod, Problem, schemaProblem, sendProblem, type SchemaIssue } from '../problem.js';
import type { LedgerDeps } from '../app.js';

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
  for (const [index, item] of items.entries()) {
    const parsed = IncomingEvent.safeParse(item);
    if (parsed.success) events.push(parsed.data);
    else
      for (const issue of parsed.error.issues) {
        const found = issueFromZod(issue);
        issues.push(
          Array.isArray(body) ? { ...found, field: `[${index}]${found.field ? `.${found.field}` : ''}` } : found,
        );
      }
  }
  const ids = events.flatMap((e) => (e.id ? [e.id] : []));
  if (new Set(ids).size !== ids.length)
    issues.push({ field: 'id', rule: 'schema-invalid', message: 'event ids must be unique within a batch' });
  return issues.length > 0 ? { issues } : { events };
}

/** Gives every event an id (UUIDv7: time-ordered) and UTC instants, and gathers its metadata. */
export function toProposal(event: IncomingEvent): Proposal {
  const metadata: EventMetadata = {
    occurredPrecision: event.occurredPrecision ?? (event.occurredAt.length === 10 ? 'day' : 'instant'),
    ...(event.occurredFrom ? { occurredFrom: toInstant(event.occurredFrom) } : {}),
    ...(event.source ? { source: event.source } : {}),
    ...(event.correlationId ? { correlationId: event.correlationId } : {}),
    ...(event.causationId ? { causationId: event.causationId } : {}),
  };
  return {
    id: event.id ?? uuidv7(),
    type: event.type,
    schemaVersion: eventCatalogue[event.type].version,
    occurredAt: toInstant(event.occurredAt),
    data: event.data,
    metadata,
  } as Proposal;
}

const ListQuery = z
  .object({
    after: z.coerce.number().int().min(0).default(0).describe('cursor: the position of the last event already read'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    type: z.enum(EVENT_TYPES as [string, ...string[]]).optional(),
  })
  .strict();

export const eventRoutes: FastifyPluginAsync<LedgerDeps> = async (app, deps) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.post(
    '/',
    {
      schema: {
        summary: 'Record one event, or a batch atomically',
        description:
          'Idempotent by event id: posting the same id with the same content again answers 200 with the original positions and `replayed: true`; the same id with other content is a 409.',
        tags: ['events'],
        body: EventsBody,
        response: { 200: Receipt, 201: Receipt, 400: Problem, 409: Problem, 422: Problem },
      },
      // Parsed in the handler, so a batch's problems name the event's index.
      validatorCompiler: () => (data) => ({ value: data }),
    },
    async (request, reply) => {
      const parsed = parseEventsBody(request.body);
      if ('issues' in parsed) return sendProblem(reply, schemaProblem(parsed.issues, request.url));
      const result = await deps.writer.submit({
        proposals: parsed.events.map(toProposal),
        recordedBy: request.principal ?? 'anonymous',
      });
      const last = result.events[result.events.length - 1];
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
    '/',
    {
      schema: {
        summary: 'Read the event log in recording order',
        tags: ['events'],
        querystring: ListQuery,
        response: {
          200: z.object({
            events: z.array(StoredEvent),
            next: z.number().int().nullable().describe('pass as `after` for the next page; null at the end'),
          }),
          400: Problem,
        },
      },
    },
    async (request) => {
      const { after, limit, type } = request.query;
      const events = [];
      let cursor = after;
      // Filtering scans forward page by page until the page is full or the log ends.
      for (;;) {
        const page = await deps.store.readAll({ after: cursor, limit });
        for (const event of page) {
          cursor = event.globalPosition;
          if (type === undefined || event.type === type) events.push(event);
          if (events.length === limit) break;
        }
        if (events.length === limit || page.length < limit) break;
      }
      const last = events[events.length - 1];
      const more = last !== undefined && events.length === limit;
      return { events, next: more ? last.globalPosition : null };
    },
  );
};
