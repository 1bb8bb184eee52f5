/**
 * Streams for auditors and recorders (`GET /v1/streams/:id`: one stream's
 * events by revision, with its current revision as ETag, for If-Match), and
 * a Server-Sent Events feed of the projections' position for dashboards
 * (`GET /v1/positions/stream`), so a page need not poll.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LedgerDeps } from '../deps.js';
import { linkNextPage } from '../paging.js';
import { httpProblem, Problem, sendProblem } from '../problem.js';
import { StreamId } from './event-filter.js';
import { StoredEvent } from './events.js';

/** How often the SSE feed looks at the projections' position. */
export const SSE_POLL_MS = 100;
const HEARTBEAT_MS = 15_000;

export const streamRoutes: FastifyPluginAsync<LedgerDeps> = async (app, deps) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/streams/:id',
    {
      config: { access: 'log' },
      schema: {
        summary: "One stream's events in revision order (every ledger event is in stream `ledger`)",
        description:
          'The answer carries the stream\'s current revision, also as `ETag: "<revision>"`: send it as `If-Match` on POST /v1/events to record only if nobody recorded in between. Pages with `after`/`next`; while there is a next page, `Link: <…>; rel="next"` names it.',
        tags: ['events'],
        params: z.object({ id: StreamId }),
        querystring: z
          .object({
            after: z.coerce
              .number()
              .int()
              .min(-1)
              .default(-1)
              .describe('cursor: the revision of the last event already read (-1: from the start)'),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          })
          .strict(),
        response: {
          200: z.object({
            stream: z.string(),
            revision: z.number().int().describe("the stream's last revision now"),
            events: z.array(StoredEvent),
            next: z.number().int().nullable().describe('pass as `after` for the next page; null at the end'),
          }),
          400: Problem,
          404: Problem,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { after, limit } = request.query;
      const revision = await deps.store.streamRevision(id);
      if (revision === undefined)
        return sendProblem(reply, httpProblem(404, `no stream ${id}`, request.url, { context: { stream: id } }));
      const events = await deps.store.readStream(id, { after, limit });
      const last = events[events.length - 1];
      const next = last !== undefined && last.streamRevision < revision ? last.streamRevision : null;
      reply.header('etag', `"${revision}"`);
      linkNextPage(request, reply, next);
      return { stream: id, revision, events, next };
    },
  );

  const SHUTDOWN_RETRY_MS = 5000;
  const SHUTDOWN_FLUSH_MS = 500;
  // One timer for every open feed: each client gets the position when it changes.
  const clients = new Set<{ stream: PassThrough; last: number }>();
  /** The sockets that carried feeds: a feed's connection is never reused, so shutdown may cut it. */
  const sockets = new Set<Socket>();
  let poll: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const send = (client: { stream: PassThrough; last: number }) => {
    const position = deps.projector.state.position;
    if (position === client.last) return;
    client.last = position;
    client.stream.write(`id: ${position}\nevent: position\ndata: {"position":${position}}\n\n`);
  };
  const stopTimers = () => {
    clearInterval(poll);
    clearInterval(heartbeat);
    poll = heartbeat = undefined;
  };
  app.addHook('preClose', async () => {
    // Open feeds would hold the server open: end them so a shutdown can finish. Each client is
    // told first, and when to come back (`retry`, in ms), rather than just cut off.
    stopTimers();
    const ended = [...clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          client.stream.once('finish', resolve);
          client.stream.end(
            `retry: ${SHUTDOWN_RETRY_MS}\nevent: shutdown\ndata: {"reason":"the service is stopping"}\n\n`,
          );
        }),
    );
    clients.clear();
    await Promise.race([Promise.all(ended), sleep(SHUTDOWN_FLUSH_MS)]);
    // Let the last bytes leave before the sockets are cut.
    await sleep(20);
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  });

  typed.get(
    '/positions/stream',
    {
      config: { access: 'projections' },
      schema: {
        summary: 'Server-Sent Events: the position the projections reflect, after each change',
        description:
          'Sends the current position at once, then an `event: position` with `data: {"position":N}` whenever it moves (checked every 100 ms, so a burst of events is one message). Re-fetch the projections you show, with If-None-Match, when it changes.',
        tags: ['projections'],
      },
    },
    (request, reply) => {
      const client = { stream: new PassThrough(), last: -1 };
      const socket = request.raw.socket;
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      clients.add(client);
      client.stream.write('retry: 2000\n\n');
      send(client);
      poll ??= setInterval(() => clients.forEach(send), SSE_POLL_MS);
      heartbeat ??= setInterval(() => clients.forEach((c) => c.stream.write(': keep-alive\n\n')), HEARTBEAT_MS);
      reply.raw.on('close', () => {
        clients.delete(client);
        client.stream.end();
        if (clients.size === 0) stopTimers();
      });
      request.log.debug('position feed opened');
      return (
        reply
          .type('text/event-stream; charset=utf-8')
          .header('cache-control', 'no-cache')
          .header('x-accel-buffering', 'no')
          // The connection ends with the feed: a shutdown never waits for it to idle out.
          .header('connection', 'close')
          .send(client.stream)
      );
    },
  );
};
