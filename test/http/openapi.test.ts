/** The OpenAPI document: valid OpenAPI 3, every route in it, guarded ones with bearer security, examples that validate. */
import SwaggerParser from '@apidevtools/swagger-parser';
import t from 'tap';
import { EVENT_TYPES, IncomingEvent } from '../../events/index.js';
import { RouteCatalog } from '../../src/http/plugins/catalog.js';
import { testLedger } from '../support/ledger.js';

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
