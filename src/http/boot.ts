/**
 * What answers on the port while the ledger opens: a store that is down, or a
 * long catch-up, must not look like a dead process. /health says the process
 * lives, /ready says why it is not ready yet, and every other request gets a
 * 503 problem with Retry-After. Listening first also finds a port in use
 * before the ledger is opened or any key printed.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { StartupError } from '../store/data-dir.js';
import { requestId } from './request-id.js';
import { noSchemaController } from './schema-compilers.js';
import { httpProblem, sendProblem } from './problem.js';

const RETRY_AFTER_SECONDS = 5;

export async function startBootServer(
  where: { port: number; host: string },
  status: () => string,
  logger?: FastifyBaseLogger,
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    genReqId: requestId,
    forceCloseConnections: true,
    // Its routes take no schema: Fastify's default compilers are not loaded for it.
    schemaController: noSchemaController,
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.header('cache-control', 'no-store');
    // This server gives way to the service on the same port: no connection should outlive it.
    reply.header('connection', 'close');
    done();
  });
  app.get('/health', async () => ({ status: 'ok' as const }));
  app.get('/ready', async (_request, reply) =>
    reply.code(503).send({ status: 'not-ready', engine: 'starting', position: 0, head: -1, problems: [status()] }),
  );
  app.setNotFoundHandler((request, reply) => {
    reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return sendProblem(reply, httpProblem(503, `the service is starting: ${status()}`, request.url));
  });
  try {
    await app.listen({ port: where.port, host: where.host });
  } catch (error) {
    await app.close().catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new StartupError(
        `port ${where.port} on ${where.host} is already in use: stop what holds it, or set PORT to another port`,
      );
    if (code === 'EACCES')
      throw new StartupError(`port ${where.port} on ${where.host} may not be opened by this user: set PORT above 1023`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new StartupError(
        `HOST ${where.host} is not an address of this machine: set HOST (e.g. 127.0.0.1 or 0.0.0.0)`,
      );
    throw error;
  }
  return app;
}
