/**
 * Builds the HTTP app around the ledger's parts, which are passed in: tests
 * build one on a temporary store in a line and drive it with `inject`.
 *
 * Each cross-cutting part is a named Fastify plugin (`mss-…`, src/http/plugins/)
 * that declares the plugins it needs, so a wrong order is refused at boot.
 * Order matters, and is the order below: the route catalog and authentication
 * (onRoute hooks) come before every route and before the rate limiter, so
 * that each guarded route checks its key first and is then limited per
 * principal; the freshness hooks (ETag, 304, minPosition) come after the
 * limiter, so a 304 is still counted; the 405 answers come last, once every
 * path is known.
 */
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { KeyRing } from '../auth/keys.js';
import type { Access } from '../auth/policy.js';
import type { Config } from '../config.js';
import { dashboardRoutes } from './dashboard.js';
import type { LedgerDeps } from './deps.js';
import { authPlugin } from './plugins/auth.js';
import { catalogPlugin } from './plugins/catalog.js';
import { closingAnswerPlugin, frameworkErrorOptions, notFoundAnswer } from './plugins/framework-errors.js';
import { freshnessPlugin } from './plugins/freshness.js';
import { securityHeadersPlugin } from './plugins/security-headers.js';
import { methodNotAllowedPlugin } from './plugins/method-not-allowed.js';
import { metricsPlugin, type Metrics } from './plugins/metrics.js';
import { LedgerLogController } from './plugins/request-logs.js';
import { openApiPlugin } from './plugins/openapi.js';
import { problemErrorHandler, rateLimitError } from './problem.js';
import { eventRoutes } from './routes/events.js';
import { logHooksPlugin, logRoutes } from './routes/log.js';
import { operationRoutes } from './routes/operations.js';
import { projectionRoutes } from './routes/projections.js';
import { requestId } from './request-id.js';
import { schemaControllerOf } from './schema-compilers.js';
import { streamRoutes } from './routes/streams.js';

declare module 'fastify' {
  interface FastifyReply {
    /** The rule a problem answer names, for the rejection metrics. */
    problemRule?: string;
  }
  interface FastifyContextConfig {
    /** Who may call the route (src/auth/policy.ts). Default: recorders and auditors. */
    access?: Access;
    /** A projection: readable by viewers, with ETag, 304, Cache-Control and minPosition. */
    projection?: boolean;
    methodNotAllowed?: boolean;
  }
}

export interface AppOptions {
  /** A pino logger; without one the app logs nothing (tests). */
  logger?: FastifyBaseLogger;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  /**
   * The keys that may call guarded routes. Default: no keys, so every guarded
   * route answers 401. `false` turns authentication off (benchmarks only):
   * events are then recorded by `anonymous`.
   */
  auth?: KeyRing | false;
  /** Origins allowed by CORS (`*` for any); none: no CORS headers. */
  corsOrigins?: readonly string[];
  /** Requests per minute per key (or per IP for public routes); 0 turns the limiter off. Default 600. */
  rateLimitPerMinute?: number;
  /** How long `minPosition` waits for the projection. Default 2000 ms. */
  minPositionWaitMs?: number;
  /** Metrics to count into; a fresh set by default. */
  metrics?: Metrics;
  /** Trust X-Forwarded-For (behind a proxy) for the client address. */
  trustProxy?: boolean;
}

/** The app's options as the configuration sets them: the service and the bench's copy of it start from here. */
export const appOptionsFrom = (config: Config, logger: FastifyBaseLogger, auth: KeyRing | false): AppOptions => ({
  logger,
  auth,
  bodyLimit: config.BODY_LIMIT_BYTES,
  corsOrigins: config.CORS_ORIGINS,
  rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
  trustProxy: config.TRUST_PROXY,
});

export async function buildApp(deps: LedgerDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // A silent logger is no logger: Fastify then makes no child logger per request (one per request
    // otherwise, carrying its id), and a silent one would log nothing either.
    ...(options.logger && options.logger.level !== 'silent' ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    // A request id in every log line; a caller's own id is kept when it sends a sane one.
    genReqId: requestId,
    // One line per answered request, naming the caller's principal (src/http/plugins/request-logs.ts).
    logController: new LedgerLogController(),
    trustProxy: options.trustProxy ?? false,
    // On close, drop idle kept-alive connections.
    forceCloseConnections: 'idle',
    // Bad URLs, over-long path parameters, unparseable requests, and (on close) new requests on
    // kept-alive connections: problems too, with a request id and the security headers.
    ...frameworkErrorOptions(Boolean(options.corsOrigins?.length), requestId),
    // zod validates and serialises every route: Fastify's default compilers are never loaded.
    schemaController: schemaControllerOf({
      buildValidator: () => validatorCompiler,
      buildSerializer: () => serializerCompiler,
    }),
  });
  await app.register(closingAnswerPlugin);
  await app.register(catalogPlugin);
  app.decorateReply('problemRule', undefined);

  app.setErrorHandler(problemErrorHandler);
  // The API speaks JSON only: anything else is a 415, not a string to validate.
  app.removeContentTypeParser(['text/plain']);
  app.setNotFoundHandler(notFoundAnswer(Boolean(options.corsOrigins?.length)));
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  await app.register(securityHeadersPlugin, { crossOrigin: Boolean(options.corsOrigins?.length) });
  await app.register(authPlugin, { keyring: options.auth ?? new KeyRing() });
  if (options.corsOrigins && options.corsOrigins.length > 0)
    await app.register(cors, {
      origin: options.corsOrigins.includes('*') ? '*' : [...options.corsOrigins],
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'If-Match', 'X-Min-Position', 'X-Request-Id'],
      exposedHeaders: [
        'ETag',
        'X-Ledger-Position',
        'X-Ledger-Stale',
        'Idempotent-Replayed',
        'Retry-After',
        'X-Request-Id',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ],
      maxAge: 600,
    });
  const perMinute = options.rateLimitPerMinute ?? 600;
  if (perMinute > 0)
    await app.register(rateLimit, {
      global: true,
      max: perMinute,
      timeWindow: 60_000,
      hook: 'onRequest',
      keyGenerator: (request) => (request.principal ? `key:${request.principal}` : `ip:${request.ip}`),
      errorResponseBuilder: rateLimitError,
    });
  await app.register(freshnessPlugin, { projector: deps.projector, waitMs: options.minPositionWaitMs ?? 2000 });
  await app.register(openApiPlugin);
  await app.register(metricsPlugin, { deps, metrics: options.metrics });

  app.get(
    '/openapi.json',
    {
      config: { access: 'public' },
      schema: { summary: 'This API, as an OpenAPI 3.1 document', tags: ['operations'] },
    },
    async () => app.swagger(),
  );
  if (deps.log) await app.register(logHooksPlugin, { log: deps.log, readOnly: deps.readOnly });
  if (deps.log) await app.register(logRoutes, { ...deps, log: deps.log, prefix: '/v1/log' });
  await app.register(operationRoutes, deps);
  await app.register(eventRoutes, { ...deps, prefix: '/v1/events' });
  await app.register(projectionRoutes, { ...deps, prefix: '/v1' });
  await app.register(streamRoutes, { ...deps, prefix: '/v1' });
  await app.register(dashboardRoutes);
  await app.register(methodNotAllowedPlugin);
  return app;
}
