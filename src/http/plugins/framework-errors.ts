/**
 * Problems for what never reaches a route. Fastify answers some requests
 * itself, with its own JSON and none of the app's hooks: a path that is not
 * valid percent-encoding (400 FST_ERR_BAD_URL), a path parameter longer than
 * maxParamLength (414 FST_ERR_MAX_PARAM_LENGTH), a request on a kept-alive
 * connection while the app closes (503). Node answers what it cannot parse
 * at all (431 headers too large, 400 malformed, 408 too slow) straight on
 * the socket. Each of these is answered here as problem details, with a
 * request id and the security headers every other answer carries.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { httpProblem, PROBLEM_CONTENT_TYPE, sendProblem } from '../problem.js';
import { securityHeaders } from './security-headers.js';

/** What the client is told for each error Fastify raises outside a route. */
function frameworkProblemDetail(error: FastifyError): { status: number; detail: string } {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return { status: 400, detail: 'the path is not valid percent-encoding (a stray % or a broken UTF-8 sequence)' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { status: 414, detail: 'a path segment is longer than this service reads (100 characters)' };
    default:
      return { status: error.statusCode ?? 500, detail: error.message };
  }
}

/** What the client is told when Node cannot read its request as HTTP. */
function clientErrorProblem(code: string | undefined): { status: number; detail: string } {
  if (code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, detail: 'the request line and headers are larger than this service accepts (16 KB)' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, detail: 'the request did not arrive in time' };
  return { status: 400, detail: 'the request is not well-formed HTTP/1.1' };
}

/**
 * The Fastify options that route these errors here. `newRequestId` makes the id a malformed request is
 * answered with (there are no headers to take a caller's from).
 */
export function frameworkErrorOptions(
  crossOrigin: boolean,
  newRequestId: (request: IncomingMessage) => string,
): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler' | 'return503OnClosing'> {
  const headers = securityHeaders(crossOrigin);
  return {
    frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
      const { status, detail } = frameworkProblemDetail(error);
      request.log.info({ code: error.code, status }, 'request refused before routing');
      reply.headers(headers).header('x-request-id', request.id);
      void sendProblem(reply, httpProblem(status, detail));
    },
    clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket) {
      // A connection reset leaves no one to answer.
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const { status, detail } = clientErrorProblem(error.code);
      const id = newRequestId({ headers: {} } as IncomingMessage);
      // Debug, not info: scanners send these by the thousand.
      this.log.debug({ code: error.code, status, reqId: id }, 'malformed request refused');
      if (socket.writable) {
        const body = JSON.stringify(httpProblem(status, detail));
        const lines = [
          `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
          `content-type: ${PROBLEM_CONTENT_TYPE}`,
          `content-length: ${Buffer.byteLength(body)}`,
          'connection: close',
          `x-request-id: ${id}`,
          ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        ];
        socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
      }
      // As Node does by default: what follows on this connection cannot be read either.
      socket.destroy(error);
    },
    // Answered by closingAnswerPlugin below, as a problem, instead of Fastify's own JSON.
    return503OnClosing: false,
  };
}

/** Unknown paths: the not-found handler is no route, so the security headers are set here. */
export const notFoundAnswer = (crossOrigin: boolean) => {
  const headers = securityHeaders(crossOrigin);
  return (request: FastifyRequest, reply: FastifyReply) =>
    sendProblem(reply.headers(headers), httpProblem(404, `no route ${request.method} ${request.url}`, request.url));
};

/**
 * While the app closes, a request arriving on a kept-alive connection is answered 503 with a
 * problem and `Connection: close` (Fastify sets that header) before any other hook runs.
 * Register before every other onRequest hook.
 */
export const closingAnswerPlugin = fp(
  async (app: FastifyInstance) => {
    let closing = false;
    app.addHook('preClose', (done) => {
      closing = true;
      done();
    });
    app.addHook('onRequest', (request, reply, done) => {
      if (!closing) return done();
      reply.header('x-request-id', request.id).header('retry-after', '1');
      void sendProblem(reply, httpProblem(503, 'the service is shutting down; retry on a new connection'));
    });
  },
  { name: 'mss-closing-answer', fastify: '5.x' },
);
