/**
 * Builds the HTTP app around the ledger's parts, which are passed in: tests
 * build one on a temporary store in a line and drive it with `inject`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { LedgerWriter } from '../ledger/writer.js';
import type { Projector } from '../read/projector.js';
import type { EventStore } from '../store/port.js';
import { httpProblem, problemErrorHandler, sendProblem } from './problem.js';
import { eventRoutes } from './routes/events.js';
import { operationRoutes } from './routes/operations.js';
import { projectionRoutes } from './routes/projections.js';

export interface LedgerDeps {
  store: EventStore;
  writer: LedgerWriter;
  projector: Projector;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: recorded as `recordedBy` on every event they post. */
    principal?: string;
  }
}

export interface AppOptions {
  /** A pino logger; without one the app logs nothing (tests). */
  logger?: FastifyBaseLogger;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
}

export async function buildApp(deps: LedgerDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    // A request id in every log line; a caller's own id is kept when it sends one.
    requestIdHeader: 'x-request-id',
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemErrorHandler);
  // The API speaks JSON only: anything else is a 415, not a string to validate.
  app.removeContentTypeParser(['text/plain']);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, httpProblem(404, `no route ${request.method} ${request.url}`, request.url)),
  );

  await app.register(operationRoutes, deps);
  await app.register(eventRoutes, { ...deps, prefix: '/v1/events' });
  await app.register(projectionRoutes, { ...deps, prefix: '/v1' });
  return app;
}
