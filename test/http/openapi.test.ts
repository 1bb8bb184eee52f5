/** The OpenAPI document: valid OpenAPI 3, every route in it, guarded ones with bearer security, examples that validate. */
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import t from 'tap';
import { EVENT_TYPES, IncomingEvent } from '../../events/index.js';
import { RouteCatalog } from '../../src/http/plugins/catalog.js';
import { testLedger } from '../support/ledger.js';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

t.test('the document validates and covers every route', async (t) => {
  const { app } = await testLedger(t);
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(response.statusCode, 200, 'public');
  const document = response.json();
  await t.resolves(SwaggerParser.validate(structuredClone(document)), 'a valid OpenAPI 3 document');
  t.match(document.openapi, /^3\./);
  t.same(document.components.securitySchemes.bearerAuth, {
    type: 'http',
    scheme: 'bearer',
    description: 'an API key: Authorization: Bearer <key>',
  });

  const operations = [...app.catalog.operations.values()].filter((o) => !o.hidden && o.method !== 'HEAD');
  t.ok(operations.length >= 12);
  for (const op of operations) {
    const documented = document.paths[RouteCatalog.openapiPath(op.url)]?.[op.method.toLowerCase()];
    t.ok(documented, `${op.method} ${op.url} is documented`);
    if (!documented) continue;
    t.ok(documented.responses['200'] || documented.responses['201'], `${op.method} ${op.url}: its success answer`);
    t.ok(documented.responses['500'], `${op.method} ${op.url}: 500 problem`);
    if (op.access === 'public') t.same(documented.security, [], `${op.url} is public`);
    else {
      t.same(documented.security, [{ bearerAuth: [] }], `${op.method} ${op.url} needs a key`);
      for (const status of ['401', '403', '429'])
        t.ok(
          documented.responses[status]?.content?.['application/problem+json'],
          `${op.method} ${op.url}: ${status} problem`,
        );
    }
    if (op.projection) {
      t.ok(documented.responses['304'], `${op.url}: 304`);
      t.ok(documented.responses['200'].headers.ETag, `${op.url}: ETag`);
      t.ok(
        documented.parameters.some((p: { name: string }) => p.name === 'minPosition'),
        `${op.url}: minPosition`,
      );
    }
  }
  const docs = await app.inject({ method: 'GET', url: '/docs' });
  t.ok(docs.statusCode < 400, 'Swagger UI is served');

  const post = document.paths['/v1/events'].post;
  const examples = post.requestBody.content['application/json'].examples;
  t.same(Object.keys(examples).sort(), [...EVENT_TYPES].sort(), 'an example for every event type');
  for (const [type, example] of Object.entries(examples) as [string, { value: unknown }][]) {
    const parsed = IncomingEvent.safeParse(example.value);
    t.ok(parsed.success, `the ${type} example is a valid event`);
  }
  t.ok(post.responses['412'] && post.responses['409'] && post.responses['413'] && post.responses['415']);
  t.ok(post.parameters.some((p: { name: string }) => p.name === 'If-Match'));
  t.ok(document.paths['/v1/events/export'].get.responses['200'].content['application/x-ndjson']);
});

t.test('a document to generate a client from', async (t) => {
  const { app } = await testLedger(t);
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.match(response.headers['content-type'], /^application\/json/, 'served as JSON');
  const document = response.json();
  t.equal(document.info.version, packageJson.version, "the package's version");
  t.ok(document.servers?.length >= 1, 'servers');

  const operations = Object.values(document.paths as Record<string, Record<string, Operation>>).flatMap((item) =>
    Object.values(item),
  );
  const ids = operations.map((op) => op.operationId);
  t.ok(
    ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]*$/.test(id)),
    'every operation has an operationId',
  );
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  for (const op of operations)
    for (const [status, answer] of Object.entries(op.responses))
      t.ok(answer.description && answer.description !== 'Default Response', `${op.operationId} ${status} is described`);

  const schemas = Object.keys(document.components.schemas);
  const referenced = new Set(
    [...JSON.stringify(document).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]),
  );
  t.same(
    schemas.filter((name) => !referenced.has(name)),
    [],
    'no schema is unused',
  );
  t.same(
    schemas.filter((name) => schemas.includes(`${name}Input`) || name.endsWith('InputInput')),
    [],
    'no schema is doubled',
  );

  const body = document.components.schemas.EventsBody;
  const union = JSON.stringify(body).includes('"discriminator"') ? findDiscriminated(body) : undefined;
  t.equal(union?.discriminator.propertyName, 'type', 'the event union has a discriminator on type');
  t.same(Object.keys(union?.discriminator.mapping ?? {}).sort(), [...EVENT_TYPES].sort(), 'mapping every event type');

  // Every example in the document validates against the schema beside it.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'doc', components: document.components });
  let checked = 0;
  for (const op of operations) {
    const media = [
      ...Object.values(op.requestBody?.content ?? {}),
      ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {})),
    ];
    for (const { schema, example, examples } of media) {
      if (!schema) continue;
      const values = [
        ...(example === undefined ? [] : [example]),
        ...Object.values(examples ?? {}).map((e) => e.value),
      ];
      if (values.length === 0) continue;
      const validate = ajv.compile(rebase(schema));
      for (const value of values) {
        checked++;
        t.ok(validate(value), `${op.operationId}: example validates ${JSON.stringify(validate.errors ?? [])}`);
      }
    }
  }
  t.ok(checked >= EVENT_TYPES.length + 6, `${checked} examples checked: every event type, receipts, problems, health`);
});

interface Media {
  schema?: object;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  operationId: string;
  requestBody?: { content?: Record<string, Media> };
  responses: Record<string, { description?: string; content?: Record<string, Media> }>;
}
type Discriminated = { discriminator: { propertyName: string; mapping: Record<string, string> } };

function findDiscriminated(value: unknown): Discriminated | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if ('discriminator' in value) return value as Discriminated;
  for (const v of Object.values(value)) {
    const found = findDiscriminated(v);
    if (found) return found;
  }
  return undefined;
}

/** `#/components/…` refs point into the schema registered as `doc`. */
const rebase = (schema: object) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
