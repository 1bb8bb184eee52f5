/**
 * Authentication and authorization, per route. At registration every route
 * gets its own onRequest hook holding the roles it allows (see
 * src/auth/policy.ts), so a request pays for one SHA-256 and a few
 * comparisons, never a policy lookup.
 *
 * 401 when the key is missing or unknown, 403 when the key's role is not
 * allowed; both are problem details with a `WWW-Authenticate` challenge
 * (RFC 6750).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { KeyRing, Role } from '../../auth/keys.js';
import { rolesFor, type Access } from '../../auth/policy.js';
import { httpProblem, sendProblem } from '../problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: recorded as `recordedBy` on every event they post. */
    principal?: string;
    /** The role of the caller's key. */
    role?: Role;
  }
}

const REALM = 'Bearer realm="mss-ledger"';

type OnRequest = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

function challenge(reply: FastifyReply, request: FastifyRequest, status: 401 | 403, detail: string, error?: string) {
  reply.header(
    'www-authenticate',
    error ? `${REALM}, error="${error}", error_description="${detail.replace(/"/g, "'")}"` : REALM,
  );
  sendProblem(reply, httpProblem(status, detail, request.url));
}

export function authHook(keyring: KeyRing, roles: readonly Role[]): OnRequest {
  const allowed = new Set(roles);
  const needed = roles.join(', ');
  return function authenticate(request, reply, done) {
    const header = request.headers.authorization;
    if (header === undefined || header === '')
      return challenge(reply, request, 401, `an API key is required: Authorization: Bearer <key> (role: ${needed})`);
    if (header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ')
      return challenge(reply, request, 401, 'the Authorization header must be: Bearer <key>', 'invalid_request');
    const principal = keyring.authenticate(header.slice(7).trim());
    if (principal === undefined)
      return challenge(reply, request, 401, 'the API key is not known (or was revoked)', 'invalid_token');
    // Known before the role is checked, so that the request's log line names who called (never the key),
    // refusals too. A child logger per request would cost more than the rest of a cached GET.
    request.principal = principal.name;
    if (!allowed.has(principal.role))
      return challenge(
        reply,
        request,
        403,
        `the role ${principal.role} may not do this; it needs one of: ${needed}`,
        'insufficient_scope',
      );
    request.role = principal.role;
    done();
  };
}

function appendHook(route: RouteOptions, hook: OnRequest): void {
  const existing = route.onRequest;
  route.onRequest = existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook];
}

export interface AuthOptions {
  /** The keys that may call guarded routes; `false` turns authentication off (benchmarks only). */
  keyring: KeyRing | false;
}

/**
 * Guards every non-public route registered after it, by the access the
 * catalog resolved for it. Must be registered before any route (and before
 * the rate limiter, so that limits are counted per principal).
 */
export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, { keyring }) => {
    app.decorateRequest('principal', undefined);
    app.decorateRequest('role', undefined);
    app.addHook('onRoute', (route) => {
      const access = (route.config as { access?: Access } | undefined)?.access;
      if (access === undefined) return;
      if (access === 'public') {
        // Probes, metrics and documentation are not rate limited.
        (route.config as { rateLimit?: boolean }).rateLimit = false;
        return;
      }
      if (keyring) appendHook(route, authHook(keyring, rolesFor(access)));
    });
  },
  { name: 'mss-auth', fastify: '5.x', dependencies: ['mss-catalog'] },
);
