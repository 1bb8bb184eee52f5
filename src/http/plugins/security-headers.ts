/**
 * Security headers. `@fastify/helmet` builds its middleware on every request,
 * which costs about 40% of a small route's throughput; the API's answers are
 * JSON, whose headers never vary, so they get helmet's defaults from a table
 * computed once, plus a CSP that allows nothing (OWASP's advice for APIs).
 * Swagger UI's pages, which need a real policy, get `@fastify/helmet` itself
 * (see openapi.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';

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

/**
 * The dashboard's pages (src/http/dashboard.ts): scripts, styles, images and
 * API calls from this origin only; no inline script or style, no plugin, no frame.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface SecurityHeadersOptions {
  /** CORS is on: other origins may read the answers (Cross-Origin-Resource-Policy). */
  crossOrigin: boolean;
}

/** Sends the security headers on every answer of the routes registered after it (Swagger UI's excepted). */
export const securityHeadersPlugin = fp<SecurityHeadersOptions>(
  async (app: FastifyInstance, { crossOrigin }) => {
    const api = securityHeaders(crossOrigin);
    const dashboard = { ...api, 'content-security-policy': DASHBOARD_CSP };
    // Set as the answer leaves, and not on a 304: a revalidation carries only what
    // changed (RFC 9110 §15.4.5); the client keeps the rest from its stored answer.
    const hookFor =
      (headers: Record<string, string>) =>
      (_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: OnSendDone) => {
        if (reply.statusCode !== 304) reply.headers(headers);
        done(null, payload);
      };
    const apiHook = hookFor(api);
    const dashboardHook = hookFor(dashboard);
    app.addHook('onRoute', (route: RouteOptions) => {
      if (route.url === '/docs' || route.url.startsWith('/docs/')) return;
      const hook = (route.config as { dashboard?: boolean } | undefined)?.dashboard ? dashboardHook : apiHook;
      const existing = route.onSend;
      route.onSend = (
        existing === undefined ? [hook] : Array.isArray(existing) ? [hook, ...existing] : [hook, existing]
      ) as RouteOptions['onSend'];
    });
  },
  { name: 'mss-security-headers', fastify: '5.x' },
);

type OnSendDone = (error: Error | null, payload?: unknown) => void;
