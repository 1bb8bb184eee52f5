/**
 * Fastify's request log lines, adjusted for the ledger: one line per request,
 * written when it is answered and naming the principal of the calling key
 * (never the key) so that refused attempts can be attributed; a client
 * leaving a stream (an SSE dashboard closing its tab) is routine, so debug.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class LedgerLogController extends LogController {
  /** Not logged: the key is not checked yet, so the line could not say who called. The answered line carries the request. */
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    // Authentication sets the principal of a known key, refused or not; without one it is null.
    const line = { req: request, res: reply, responseTime: reply.elapsedTime, principal: request.principal ?? null };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }

  override streamError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
    if (error.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      if (!this.isLogDisabled(request))
        reply.log.debug({ principal: request.principal ?? null }, 'the client closed the stream');
      return;
    }
    super.streamError(error, request, reply);
  }
}
