/** Liveness and readiness, outside the versioned API. */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LedgerDeps } from '../app.js';

export const operationRoutes: FastifyPluginAsync<LedgerDeps> = async (app, deps) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['operations'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  typed.get(
    '/ready',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Readiness: the store answers and the projections have caught up',
        tags: ['operations'],
        response: {
          200: z.object({
            status: z.enum(['ready', 'not-ready']),
            engine: z.string(),
            position: z.number(),
            head: z.number(),
          }),
          503: z.object({
            status: z.enum(['ready', 'not-ready']),
            engine: z.string(),
            position: z.number(),
            head: z.number(),
          }),
        },
      },
    },
    async (_request, reply) => {
      const head = await deps.store.headPosition().catch(() => -1);
      const position = deps.projector.state.position;
      const ready = head >= 0 && deps.projector.caughtUp && position >= head;
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not-ready', engine: deps.store.engine, position, head });
    },
  );
};
