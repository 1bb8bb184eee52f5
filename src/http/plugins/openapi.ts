/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate the
 * requests (fastify-type-provider-zod's transforms), then completed with what
 * routes cannot say about themselves: who may call each operation (bearer
 * security and roles), the answers every guarded route can give (401, 403,
 * 429, 500 as problem details), the freshness headers of projections, and an
 * example of every event type. Served at /openapi.json and, as Swagger UI, /docs.
 */
import { existsSync, readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import helmet from '@fastify/helmet';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { rolesFor } from '../../auth/policy.js';
import { RULES } from '../../ledger/rules.js';
import { PROBLEM_CONTENT_TYPE } from '../problem.js';
import { CSV_COLUMNS } from '../routes/events-csv.js';
import { RouteCatalog } from './catalog.js';
import { eventExamples } from './examples.js';
import { addDiscriminators, addOperationIds, describeResponses, tidySchemas } from './openapi-tidy.js';

type Json = Record<string, unknown>;
interface OperationObject {
  description?: string;
  parameters?: Json[];
  responses?: Record<string, Json>;
  requestBody?: { content?: Record<string, Json> };
  security?: Json[];
  [key: string]: unknown;
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problem = (description: string, headers?: Json): Json => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } },
  ...(headers ? { headers } : {}),
});
const header = (description: string, schema: Json = { type: 'string' }) => ({ description, schema });

const FRESHNESS_HEADERS = {
  ETag: header('the position reflected (and the query): send it back as If-None-Match'),
  'Cache-Control': header('`private, no-cache`: keep the answer, revalidate it each time'),
  'X-Ledger-Position': header('the global position this answer reflects', { type: 'integer' }),
  'X-Ledger-Stale': header('`true` when minPosition was asked and not reached in time'),
};

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The package's version, from the nearest package.json up (src/… in development, dist/src/… built). */
export function packageVersion(from = new URL('.', import.meta.url)): string {
  for (let dir = from; dir.pathname !== '/'; dir = new URL('..', dir)) {
    const file = new URL('package.json', dir);
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

/** What a success answer is, where the route's summary (the default) does not say it. */
const RESPONSE_DESCRIPTIONS: Record<string, string> = {
  'GET /health': 'the process answers',
  'POST /v1/events 200': 'a retry of events already recorded: the original receipt, nothing new stored',
  'POST /v1/events 201': 'recorded: the positions and revisions the events were given',
  'GET /v1/events': 'a page of the log, and the cursor to read on',
  'GET /v1/streams/{id}': "a page of the stream's events, and its current revision",
};

/** Examples of answers, written from real ones on a small ledger: cheap, and they show the shapes. */
const RECEIPT_EXAMPLE = {
  replayed: false,
  position: 42,
  events: [
    {
      id: '0193a5c2-7a1e-7cc0-9e55-2b6f6d7f0a11',
      type: 'DonationReceived',
      globalPosition: 42,
      streamRevision: 41,
      occurredAt: '2025-02-10T00:00:00.000Z',
      recordedAt: '2025-03-01T09:12:44.120Z',
    },
  ],
};
const PROBLEM_EXAMPLES: Record<string, Json> = {
  '400': {
    type: 'urn:mss-ledger:rule:schema-invalid',
    title: RULES['schema-invalid'].title,
    status: 400,
    detail: 'body data.lines[0].quantity.value: must be greater than zero',
    instance: '/v1/events',
    rule: 'schema-invalid',
    field: 'data.lines[0].quantity.value',
    errors: [{ field: 'data.lines[0].quantity.value', rule: 'schema-invalid', message: 'must be greater than zero' }],
  },
  '412': {
    type: 'urn:mss-ledger:rule:expected-revision-mismatch',
    title: RULES['expected-revision-mismatch'].title,
    status: 412,
    detail: 'expected revision 40, the ledger is at 41',
    instance: '/v1/events',
    rule: 'expected-revision-mismatch',
    context: { expectedRevision: 40, currentRevision: 41 },
  },
  '422': {
    type: 'urn:mss-ledger:rule:party-unknown',
    title: RULES['party-unknown'].title,
    status: 422,
    detail: 'party nobody is not registered',
    instance: '/v1/events',
    rule: 'party-unknown',
    field: 'data.recipient',
  },
};

/** Completes the generated document; exported for tests. */
export function completeDocument(document: Json, catalog: RouteCatalog): Json {
  const paths = (document.paths ?? {}) as Record<string, Record<string, OperationObject>>;
  for (const operation of catalog.operations.values()) {
    const item = paths[RouteCatalog.openapiPath(operation.url)];
    const op = item?.[operation.method.toLowerCase()];
    if (!op) continue;
    op.responses ??= {};
    // Problems are application/problem+json, whatever the generator wrote.
    for (const [status, response] of Object.entries(op.responses)) {
      const content = response.content as Record<string, Json> | undefined;
      if (/^[45]/.test(status) && content?.['application/json']) {
        response.content = { [PROBLEM_CONTENT_TYPE]: content['application/json'] };
      }
    }
    if (operation.access === 'public') {
      op.security = [];
    } else {
      const roles = rolesFor(operation.access);
      op.security = [{ bearerAuth: [] }];
      op['x-roles'] = [...roles];
      op.description = `${op.description ? `${op.description}\n\n` : ''}**Roles:** ${roles.join(', ')}.`;
      op.responses['401'] ??= problem('no API key, or an unknown or revoked one', {
        'WWW-Authenticate': header('Bearer challenge (RFC 6750)'),
      });
      op.responses['403'] ??= problem("the key's role may not do this", {
        'WWW-Authenticate': header('Bearer challenge with error="insufficient_scope"'),
      });
      op.responses['429'] ??= problem('too many requests for this key; retry after Retry-After seconds', {
        'Retry-After': header('seconds to wait', { type: 'integer' }),
      });
    }
    op.responses['500'] ??= problem('unexpected error; the request id (X-Request-Id) is in the logs');
    if (operation.projection) {
      op.parameters ??= [];
      // Handlers may declare minPosition themselves: documented once.
      op.parameters = op.parameters.filter((p) => p.name !== 'minPosition');
      op.parameters.push(
        {
          in: 'query',
          name: 'minPosition',
          required: false,
          description:
            'read your writes: wait up to 2 s for the projection to reach this position (the `position` of your POST). If it cannot, the answer says so with X-Ledger-Stale: true',
          schema: { type: 'integer', minimum: 0 },
        },
        {
          in: 'header',
          name: 'X-Min-Position',
          required: false,
          description: 'same as minPosition',
          schema: { type: 'integer', minimum: 0 },
        },
        {
          in: 'header',
          name: 'If-None-Match',
          required: false,
          description: 'the ETag of the answer you hold: 304 when the ledger has not moved',
          schema: { type: 'string' },
        },
      );
      const ok = op.responses['200'];
      if (ok) ok.headers = { ...(ok.headers as Json | undefined), ...FRESHNESS_HEADERS };
      op.responses['304'] = { description: 'not modified: the answer you hold is current', headers: FRESHNESS_HEADERS };
    }
  }

  const events = paths['/v1/events']?.post;
  if (events) {
    const media = events.requestBody?.content?.['application/json'];
    if (media) media.examples = eventExamples();
    events.parameters ??= [];
    events.parameters.push({
      in: 'header',
      name: 'If-Match',
      required: false,
      description:
        'optimistic concurrency: `"<revision>"` of the ledger stream you decided on (see GET /v1/streams/ledger); `W/"<revision>"` and a bare `<revision>` mean the same. If the ledger moved on, 412 with the current revision. A retry of an already recorded batch is still answered as a replay.',
      schema: { type: 'string', example: '"41"' },
    });
    const replayHeaders = {
      'Idempotent-Replayed': header('`true` when this answer repeats the original (nothing new stored)'),
      ETag: header('`"<revision>"` of the ledger stream after this append: use it as If-Match next time'),
    };
    for (const status of ['200', '201']) {
      const response = events.responses?.[status];
      if (response) response.headers = replayHeaders;
    }
    events.responses ??= {};
    events.responses['412'] ??= problem('If-Match did not match: the ledger moved on (context.currentRevision)');
    events.responses['413'] ??= problem('the body is larger than BODY_LIMIT_BYTES');
    events.responses['415'] ??= problem('the body is not application/json');
  }

  // The paged lists (one convention: `after`, answered `next`) link the next page as RFC 8288 says.
  for (const list of ['/v1/events', '/v1/shipments', '/v1/streams/{id}']) {
    const ok = paths[list]?.get?.responses?.['200'];
    if (ok)
      ok.headers = {
        ...(ok.headers as Json | undefined),
        Link: header('`<same request with after=next>; rel="next"` while there is a next page; absent on the last'),
      };
  }

  const streamed: Record<string, [string, string]> = {
    '/v1/events/export': ['application/x-ndjson', 'one stored event (as in GET /v1/events) per line, oldest first'],
    '/v1/positions/stream': [
      'text/event-stream',
      'Server-Sent Events: `event: position` with `data: {"position":N}` after each fold; a comment every 15 s keeps the connection open',
    ],
    '/metrics': ['text/plain; version=0.0.4', 'Prometheus text exposition'],
  };
  for (const [path, [type, description]] of Object.entries(streamed)) {
    const op = paths[path]?.get;
    if (!op) continue;
    op.responses ??= {};
    op.responses['200'] = { description, content: { [type]: { schema: { type: 'string' } } } };
  }
  const exported = paths['/v1/events/export']?.get?.responses?.['200'] as
    { description: string; content: Record<string, Json> } | undefined;
  if (exported) {
    exported.content['text/csv'] = { schema: { type: 'string' } };
    exported.description += `; or, with format=csv or Accept: text/csv, CSV: one row per line item, columns ${Object.keys(CSV_COLUMNS).join(', ')}`;
  }

  const health = paths['/health']?.get?.responses?.['200']?.content as Record<string, Json> | undefined;
  if (health?.['application/json']) health['application/json'].example = { status: 'ok' };
  const self = paths['/openapi.json']?.get;
  if (self)
    (self.responses ??= {})['200'] = {
      description: 'this document',
      content: { 'application/json': { schema: { type: 'object' } } },
    };
  if (events?.responses) {
    for (const status of ['200', '201']) {
      const media = (events.responses[status]?.content as Record<string, Json> | undefined)?.['application/json'];
      if (media) media.example = status === '200' ? { ...RECEIPT_EXAMPLE, replayed: true } : RECEIPT_EXAMPLE;
    }
    for (const [status, example] of Object.entries(PROBLEM_EXAMPLES)) {
      const media = (events.responses[status]?.content as Record<string, Json> | undefined)?.[PROBLEM_CONTENT_TYPE];
      if (media) media.example = example;
    }
  }

  for (const item of Object.values(paths))
    for (const method of Object.keys(item))
      if (!HTTP_METHODS.includes(method)) delete (item as Record<string, unknown>)[method];
  describeResponses(document, RESPONSE_DESCRIPTIONS);
  addOperationIds(document);
  tidySchemas(document);
  addDiscriminators(document);
  return document;
}

/** The document and Swagger UI; every route registered after it is documented. */
export const openApiPlugin = fp(
  async (app: FastifyInstance) => {
    const catalog = app.catalog;
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'MSS Ledger',
          version: packageVersion(),
          description:
            'An event-sourced logistics ledger for the MSS mission in Haiti. Every request except /health, /ready, /metrics, /docs and /openapi.json needs an API key: `Authorization: Bearer <key>`. Roles: **recorder** (post events; read projections, the log and streams), **auditor** (read everything, including the NDJSON export; no posting), **viewer** (projections and the position stream only). Errors are RFC 9457 problem details (`application/problem+json`) whose `type` names the rule.',
        },
        servers: [{ url: '/', description: 'this service (relative to where this document was fetched)' }],
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API key: Authorization: Bearer <key>' },
          },
        },
        security: [{ bearerAuth: [] }],
        tags: [
          { name: 'events', description: 'recording events, and the event log for auditors' },
          { name: 'projections', description: 'folded state for dashboards: ETag, 304, minPosition' },
          { name: 'operations', description: 'health, readiness, metrics' },
          {
            name: 'log',
            description: 'the verifiable log: signed checkpoints, inclusion and consistency proofs, witnesses',
          },
        ],
      },
      transform: createJsonSchemaTransform({ skipList: [] }),
      transformObject: (input) => completeDocument(jsonSchemaTransformObject(input) as Json, catalog) as never,
    });
    // Swagger UI in its own context, so @fastify/helmet guards its pages without costing the API anything.
    await app.register(async (docs) => {
      await docs.register(helmet, { contentSecurityPolicy: false });
      await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
    });
  },
  { name: 'mss-openapi', fastify: '5.x', dependencies: ['mss-catalog'] },
);
