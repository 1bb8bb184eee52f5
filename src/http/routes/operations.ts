/** Liveness and readiness, outside the versioned API. */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LEDGER_STREAM } from '../../ledger/book.js';
import { within } from '../../store/faults.js';
import type { LedgerDeps } from '../deps.js';

const READY_WAIT_MS = 1000;

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

  const Readiness = z.object({
    status: z.enum(['ready', 'not-ready']),
    engine: z.string(),
    position: z.number().describe('the position the projections reflect'),
    head: z.number().describe("the store's last position"),
    problems: z.array(z.string()).describe('why the service is not ready, or what makes the store unfit for a ledger'),
  });

  typed.get(
    '/ready',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Readiness: the store answers, keeps every event, and the projections have caught up',
        tags: ['operations'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const problems: string[] = [];
      const noAnswer = () => new Error(`no answer within ${READY_WAIT_MS} ms`);
      const head = await within(deps.store.headPosition(), READY_WAIT_MS, noAnswer).catch((error: unknown) => {
        problems.push(`the store does not answer: ${error instanceof Error ? error.message : String(error)}`);
        return -1;
      });
      if (head >= 0)
        problems.push(
          ...(await within(deps.store.integrityProblems([LEDGER_STREAM]), READY_WAIT_MS, noAnswer).catch(
            (error: unknown) => [
              `the store's retention settings cannot be checked: ${error instanceof Error ? error.message : String(error)}`,
            ],
          )),
        );
      if (deps.health) problems.push(...(await deps.health()));
      // The store must match what the log signed: a tampered store or an unsigned tail is not ready.
      problems.push(...(deps.log?.problems() ?? []));
      // Under load the head runs a little ahead of the projections: give them a moment to reach it.
      if (head >= 0 && !(deps.projector.caughtUp && (await deps.projector.waitFor(head, READY_WAIT_MS))))
        problems.push(`the projections are at position ${deps.projector.state.position}, the store at ${head}`);
      const ready = problems.length === 0;
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not-ready',
        engine: deps.store.engine,
        position: deps.projector.state.position,
        head,
        problems,
      });
    },
  );
};
