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
 * - An answer already given at this position for this url is sent again as it
 *   went out (answers.ts), from onRequest too.
 *
 * The 304 and the kept answers are written on the response in one go (a
 * header block, then the bytes): they skip the handler, the onSend hooks and
 * Fastify's serialisation, which is most of what a cached GET costs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Projector } from '../../read/projector.js';
import { schemaProblem, sendProblem } from '../problem.js';
import { AnswerCache, answerKey, headerFields, sendAgain } from './answers.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Projection answers kept per (position, url), sent again as they went out. */
    answers: AnswerCache;
  }
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

/**
 * A 304: the request's own headers and the answer's validators only (RFC 9110 §15.4.5: the client
 * keeps the rest from the answer it stored), written in one go.
 */
function notModified(reply: FastifyReply, etag: string, position: number): void {
  const fields = headerFields(reply.getHeaders());
  fields.push('etag', etag, 'cache-control', CACHE_CONTROL, 'x-ledger-position', String(position));
  reply.hijack();
  reply.raw.writeHead(304, fields);
  reply.raw.end();
}

export function freshnessHooks(projector: Projector, waitMs: number, answers: AnswerCache) {
  const state = projector.state;

  function finish(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const position = state.position;
    request.seenPosition = position;
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch !== undefined) {
      const etag = etagOf(position, request.etagQuery);
      if (matches(ifNoneMatch, etag)) return notModified(reply, etag, position);
    }
    if (request.method === 'GET') {
      const kept = answers.sendable(answerKey(position, request.url));
      if (kept !== undefined) return sendAgain(reply, kept);
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

  /** Once an answer from the cache has gone out, keeps the headers it went out with, but the request's own. */
  const onResponse = function keepHead(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const toKeep = request.answerToKeep;
    if (toKeep !== undefined && reply.statusCode === 200)
      answers.keepHead(toKeep.key, headerFields(reply.getHeaders(), toKeep.before));
    done();
  };

  return { onRequest, onSend, onResponse };
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
    app.decorateRequest('answerToKeep', undefined);
    const answers = new AnswerCache();
    app.decorate('answers', answers);
    const hooks = freshnessHooks(projector, waitMs, answers);
    app.addHook('onRoute', (route: RouteOptions) => {
      if (!(route.config as { projection?: boolean } | undefined)?.projection) return;
      route.onRequest = append(route.onRequest, hooks.onRequest) as RouteOptions['onRequest'];
      route.onSend = append(route.onSend, hooks.onSend) as RouteOptions['onSend'];
      route.onResponse = append(route.onResponse, hooks.onResponse) as RouteOptions['onResponse'];
    });
  },
  { name: 'mss-freshness', fastify: '5.x', dependencies: ['mss-auth'] },
);
