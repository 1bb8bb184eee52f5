/**
 * Freshness for projection routes (those with `config: { projection: true }`),
 * which dashboards poll:
 *
 * - `ETag` derived from the position the answer reflects and the normalized
 *   query: the same position and query always give the same bytes.
 * - `If-None-Match` is checked in onRequest, before validation and before the
 *   handler: a 304 costs an authentication and a string comparison.
 * - `Cache-Control: private, no-cache`: a client (or browser) may keep the
 *   answer but must revalidate each time, which is cheap.
 * - `X-Ledger-Position`: the position reflected, on every answer.
 * - `?minPosition=N` or `X-Min-Position: N` (read your writes): waits up to
 *   `waitMs` for the projection to reach N. If it cannot, it answers anyway,
 *   with the position it does reflect and `X-Ledger-Stale: true`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Projector } from '../../read/projector.js';
import { schemaProblem, sendProblem } from '../problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Fingerprint of the normalized query, for projection ETags. */
    etagQuery: string;
    /** The position a projection answer reflects: the projections' position when the request was let through, or the one its handler answered for (asOf / knownAt). */
    seenPosition: number;
  }
}

export const CACHE_CONTROL = 'private, no-cache';
export const MIN_POSITION_PARAM = 'minPosition';

/** FNV-1a, 32 bits: a cheap, stable fingerprint of the normalized query. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

/** The query with keys sorted, `minPosition` left out: it changes when to answer, not the answer. */
export function queryKey(query: Record<string, unknown>): string {
  const keys = Object.keys(query).sort();
  if (keys.length === 0) return '';
  let text = '';
  for (const key of keys) {
    if (key === MIN_POSITION_PARAM) continue;
    text += `${key}=${String(query[key])}&`;
  }
  return text === '' ? '' : fnv1a(text);
}

export const etagOf = (position: number, key: string) => (key === '' ? `"${position}"` : `"${position}-${key}"`);

export function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch === etag || ifNoneMatch === '*') return true;
  for (const candidate of ifNoneMatch.split(',')) {
    const tag = candidate.trim();
    if (tag === etag || (tag.startsWith('W/') && tag.slice(2) === etag)) return true;
  }
  return false;
}

export function freshnessHooks(projector: Projector, waitMs: number) {
  const state = projector.state;

  function finish(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const position = state.position;
    request.seenPosition = position;
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch !== undefined) {
      const etag = etagOf(position, request.etagQuery);
      if (matches(ifNoneMatch, etag)) {
        reply
          .code(304)
          .header('etag', etag)
          .header('cache-control', CACHE_CONTROL)
          .header('x-ledger-position', position)
          .send();
        return;
      }
    }
    done();
  }

  const onRequest = function freshness(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const query = request.query as Record<string, unknown>;
    let raw: unknown = request.headers['x-min-position'];
    if (query[MIN_POSITION_PARAM] !== undefined) {
      raw = query[MIN_POSITION_PARAM];
      delete query[MIN_POSITION_PARAM];
    }
    request.etagQuery = queryKey(query);
    if (raw === undefined) return finish(request, reply, done);
    const min = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
    if (Number.isNaN(min)) {
      sendProblem(
        reply,
        schemaProblem(
          [{ field: MIN_POSITION_PARAM, rule: 'schema-invalid', message: 'must be a whole number (a position)' }],
          request.url,
          'querystring',
        ),
      );
      return;
    }
    if (state.position >= min) return finish(request, reply, done);
    projector.waitFor(min, waitMs).then((reached) => {
      if (!reached) reply.header('x-ledger-stale', 'true');
      finish(request, reply, done);
    }, done);
  };

  /**
   * Stamps 200 answers with the position the handler says its answer reflects
   * (it sets `request.seenPosition`; else the position when the request was
   * let through), so an ETag never claims more than the body.
   */
  const onSend = function stamp(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (error: null, payload: unknown) => void,
  ) {
    if (reply.statusCode === 200) {
      const position = request.seenPosition;
      reply
        .header('etag', etagOf(position, request.etagQuery))
        .header('cache-control', CACHE_CONTROL)
        .header('x-ledger-position', position);
    }
    done(null, payload);
  };

  return { onRequest, onSend };
}

function append<T>(existing: T | T[] | undefined, hook: T): T[] {
  return existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook];
}

export interface FreshnessOptions {
  projector: Projector;
  /** How long `minPosition` waits for the projection. */
  waitMs: number;
}

/**
 * Adds the freshness hooks to every projection route registered after it.
 * After authentication: a 304 tells whether an answer changed, so only a
 * caller allowed to read it may ask.
 */
export const freshnessPlugin = fp<FreshnessOptions>(
  async (app: FastifyInstance, { projector, waitMs }) => {
    app.decorateRequest('etagQuery', '');
    app.decorateRequest('seenPosition', 0);
    const hooks = freshnessHooks(projector, waitMs);
    app.addHook('onRoute', (route: RouteOptions) => {
      if (!(route.config as { projection?: boolean } | undefined)?.projection) return;
      route.onRequest = append(route.onRequest, hooks.onRequest) as RouteOptions['onRequest'];
      route.onSend = append(route.onSend, hooks.onSend) as RouteOptions['onSend'];
    });
  },
  { name: 'mss-freshness', fastify: '5.x', dependencies: ['mss-auth'] },
);
