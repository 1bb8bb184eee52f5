/**
 * 405 for a known path asked with a method it does not answer (Fastify would
 * say 404), with the `Allow` header listing the methods it does answer.
 * Registered last, once every route is in the catalog.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { httpProblem, sendProblem } from '../problem.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export const methodNotAllowedPlugin = fp(
  async (app: FastifyInstance) => {
    for (const [url, methods] of [...app.catalog.methodsByUrl]) {
      if (url.includes('*') || url === '/docs' || url.startsWith('/docs/')) continue;
      const missing = METHODS.filter((m) => !methods.has(m));
      if (missing.length === 0) continue;
      const allow = [...methods].sort().join(', ');
      app.route({
        method: missing,
        url,
        config: { access: 'public', methodNotAllowed: true },
        schema: { hide: true },
        // Answered before the body is parsed: the method is wrong whatever the body.
        onRequest: (request, reply, _done) => {
          reply.header('allow', allow);
          sendProblem(
            reply,
            httpProblem(405, `${request.method} is not allowed on ${url}; allowed: ${allow}`, request.url, {
              context: { allow: [...methods].sort() },
            }),
          );
        },
        handler: async () => undefined,
      });
    }
  },
  { name: 'mss-method-not-allowed', fastify: '5.x', dependencies: ['mss-catalog'] },
);
