/**
 * Security headers. `@fastify/helmet` builds its middleware on every request,
 * which costs about 40% of a small route's throughput; the API's answers are
 * JSON, whose headers never vary, so they get helmet's defaults from a table
 * computed once, plus a CSP that allows nothing (OWASP's advice for APIs).
 * Swagger UI's pages, which need a real policy, get `@fastify/helmet` itself
 * (see openapi.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';

export function securityHeaders(crossOrigin: boolean): Record<string, string> {
  return {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': crossOrigin ? 'cross-origin' : 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'DENY',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  };
}

export function installSecurityHeaders(app: FastifyInstance, crossOrigin: boolean): void {
  const headers = securityHeaders(crossOrigin);
  const hook = (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    reply.headers(headers);
    done();
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) return;
    const existing = route.onRequest;
    route.onRequest = (
      existing === undefined ? [hook] : Array.isArray(existing) ? [hook, ...existing] : [hook, existing]
    ) as RouteOptions['onRequest'];
  });
}
