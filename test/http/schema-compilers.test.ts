/**
 * Every schema of the service is a zod schema, so neither of its Fastify instances (the boot server
 * that answers while the ledger opens, and the app) loads Fastify's default compilers: Ajv and
 * fast-json-stringify's compiler cost about 30 ms of every start, and would compile nothing.
 */
import { createRequire } from 'node:module';
import t from 'tap';
import { startBootServer } from '../../src/http/boot.js';
import { bearer, testLedger } from '../support/ledger.js';

const loaded = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((file) =>
    /[\\/]node_modules[\\/](@fastify[\\/]ajv-compiler|@fastify[\\/]fast-json-stringify-compiler|ajv)[\\/]/.test(file),
  );

t.test("a start never loads Fastify's default schema compilers", async (t) => {
  const boot = await startBootServer({ port: 0, host: '127.0.0.1' }, () => 'opening the store');
  const starting = await boot.inject({ method: 'GET', url: '/v1/inventory' });
  t.equal(starting.statusCode, 503, 'the boot server answers while the ledger opens');
  await boot.close();

  const { app } = await testLedger(t, { seed: true });
  // zod still validates every request and serialises every answer of the app.
  const refused = await app.inject({
    method: 'GET',
    url: '/v1/inventory?asOf=yesterday',
    headers: bearer('viewer'),
  });
  t.equal(refused.statusCode, 400, 'a bad query is refused by its zod schema');
  t.match(refused.json(), { type: String, title: String }, 'with a problem');
  const answered = await app.inject({ method: 'GET', url: '/v1/inventory', headers: bearer('viewer') });
  t.equal(answered.statusCode, 200, 'and a good one answered');

  t.same(loaded(), [], 'neither Ajv nor the fast-json-stringify compiler was loaded');
});
