/**
 * One paging convention for every list: `after` is the cursor a client sends
 * (the previous page's `next`), `next` the cursor an answer gives (null on the
 * last page), and a `Link: <…>; rel="next"` header (RFC 8288) that is the
 * request itself with `after` set to `next`, so a generic client can follow it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The request's own path and query, with `after` set to the cursor given. */
export function nextPageUrl(requestUrl: string, next: number): string {
  const url = new URL(requestUrl, 'http://ledger.invalid');
  url.searchParams.set('after', String(next));
  return `${url.pathname}${url.search}`;
}

/** Sets `Link: <…>; rel="next"` when there is a next page; a last page has none. */
export function linkNextPage(request: FastifyRequest, reply: FastifyReply, next: number | null): void {
  if (next !== null) reply.header('link', `<${nextPageUrl(request.url, next)}>; rel="next"`);
}
