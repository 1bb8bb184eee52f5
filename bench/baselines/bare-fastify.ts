/**
 * Baseline: a bare Fastify route that answers GET /v1/inventory with fixed
 * bytes (the bytes our service answered, passed in a file), so our GET can be
 * read as a fraction of what Fastify alone does on this machine.
 *
 * With HEADERS_FILE it also sends the header block our service sent with those
 * bytes (security headers, ETag, position, the log's tree, request id: a JSON
 * list of [name, value] pairs, bench/lib/header-block.ts), so the comparison is
 * like for like: the same answer, bytes and headers, without the ledger. Without
 * it, the route sends only its content type: the floor.
 *
 * Env: PORT, HOST, BODY_FILE (the response bytes), CONTENT_TYPE, HEADERS_FILE (optional).
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const body = readFileSync(required('BODY_FILE'));
const contentType = process.env.CONTENT_TYPE ?? 'application/json; charset=utf-8';
const headers: Record<string, string> = { 'content-type': contentType };
if (process.env.HEADERS_FILE)
  for (const [name, value] of JSON.parse(readFileSync(process.env.HEADERS_FILE, 'utf8')) as [string, string][])
    headers[name] = value;

const app = Fastify({ logger: false });
app.get('/v1/inventory', (_request, reply) => {
  reply.headers(headers).send(body);
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
