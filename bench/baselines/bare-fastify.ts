/**
 * Baseline: a bare Fastify route that answers GET /v1/inventory with fixed
 * bytes (the bytes our service answered, passed in a file), so our GET can be
 * read as a fraction of what Fastify alone does on this machine.
 *
 * Env: PORT, HOST, BODY_FILE (the response bytes), CONTENT_TYPE.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const body = readFileSync(required('BODY_FILE'));
const contentType = process.env.CONTENT_TYPE ?? 'application/json; charset=utf-8';

const app = Fastify({ logger: false });
app.get('/v1/inventory', (_request, reply) => {
  reply.header('content-type', contentType).send(body);
});
app.get('/ready', (_request, reply) => {
  reply.send({ status: 'ready' });
});

await app.listen({ port: Number(required('PORT')), host: process.env.HOST ?? '127.0.0.1' });
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void app.close().then(() => process.exit(0)));

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}
