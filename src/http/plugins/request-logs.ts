/**
 * Fastify's request log lines, adjusted for the ledger: one line per request,
 * written when it is answered and naming the principal of the calling key
 * (never the key) so that refused attempts can be attributed; a client
 * leaving a stream (an SSE dashboard closing its tab) is routine, so debug.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** Whether authentication bound a principal to this request's logger (a refused key's too). */
const boundPrincipal = (reply: FastifyReply) =>
  'principal' in ((reply.log as { bindings?: () => Record<string, unknown> }).bindings?.() ?? {});

export class LedgerLogController extends LogController {
  /** Not logged: the key is not checked yet, so the line could not say who called. The answered line carries the request. */
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    // Authentication binds `principal` to the request's logger; without a known key it is null.
    const line = {
      req: request,
      res: reply,
      responseTime: reply.elapsedTime,
      ...(boundPrincipal(reply) ? {} : { principal: null }),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }

  override streamError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
    if (error.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      if (!this.isLogDisabled(request)) reply.log.debug('the client closed the stream');
      return;
    }
    super.streamError(error, request, reply);
  }
}
