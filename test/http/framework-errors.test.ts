/**
 * Errors that never reach a route, over a real socket (inject does not go
 * through Node's parser): bad percent-encoding, an over-long path parameter,
 * headers too large, requests that are not HTTP, unknown paths, and a request
 * arriving while the app closes. Each is application/problem+json with a
 * request id and the security headers.
 */
import net from 'node:net';
import t, { type Test } from 'tap';
import { bearer, testLedger } from '../support/ledger.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses every HTTP/1.1 response in what a socket sent back (content-length framed). */
function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

/** Writes raw bytes, reads until the server closes the connection. */
function raw(port: number, request: string | string[], between?: () => Promise<void>): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (received += d));
    socket.on('error', () => {}); // a reset after the answer is what a refused request gets
    socket.on('close', () => resolve(parseResponses(received)));
    socket.on('connect', async () => {
      const parts = Array.isArray(request) ? request : [request];
      try {
        for (const [index, part] of parts.entries()) {
          socket.write(part);
          if (index === 0 && between) await between();
        }
      } catch (error) {
        reject(error);
      }
    });
  });
}

function isProblem(t: Test, response: RawResponse | undefined, status: number) {
  if (!response) {
    t.fail(`no answer (expected ${status})`);
    return undefined;
  }
  t.equal(response.status, status, `status ${status}`);
  t.match(response.headers['content-type'], /^application\/problem\+json/, 'problem+json');
  t.match(response.headers['x-request-id'], /^[A-Za-z0-9._:-]+$/, 'with a request id');
  t.equal(response.headers['x-content-type-options'], 'nosniff', 'and the security headers');
  t.equal(response.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
  t.equal(response.headers['x-frame-options'], 'DENY');
  const problem = JSON.parse(response.body) as { type: string; status: number; title: string; detail: string };
  t.equal(problem.type, `urn:mss-ledger:http:${status}`);
  t.equal(problem.status, status, 'status in the body');
  t.type(problem.title, 'string');
  t.type(problem.detail, 'string');
  return problem;
}

const get = (path: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}Connection: close\r\n\r\n`;

t.test('errors outside any route are problems', async (t) => {
  const { app, store } = await testLedger(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const before = await store.headPosition();
  const auth = `Authorization: ${bearer('auditor').authorization}\r\n`;

  t.test('bad percent-encoding in the path: 400', async (t) => {
    for (const path of ['/v1/shipments/%E0%A4%A', '/v1/streams/%ZZ', '/v1/items/%']) {
      const [response] = await raw(port, get(path, auth));
      const problem = isProblem(t, response, 400);
      t.match(problem?.detail, /percent-encoding/, path);
    }
  });

  t.test('a path parameter over 100 characters: 414', async (t) => {
    const [response] = await raw(port, get(`/v1/shipments/${'s'.repeat(101)}`, auth));
    const problem = isProblem(t, response, 414);
    t.equal(problem?.title, 'URI too long');
    const [shorter] = await raw(port, get(`/v1/shipments/${'s'.repeat(80)}`, auth));
    t.equal(shorter?.status, 404, 'a parameter within the bound reaches the route');
  });

  t.test('a caller’s request id is kept on a framework error', async (t) => {
    const [response] = await raw(port, get('/v1/items/%', `${auth}X-Request-Id: trace-me-42\r\n`));
    t.equal(response?.headers['x-request-id'], 'trace-me-42');
  });

  t.test('headers larger than Node reads: 431', async (t) => {
    const [response] = await raw(port, get('/v1/inventory', `X-Padding: ${'a'.repeat(20_000)}\r\n`));
    isProblem(t, response, 431);
  });

  t.test('requests that are not HTTP: 400', async (t) => {
    const malformed = [
      'NOT HTTP AT ALL\r\n\r\n',
      'GET /v1/inventory HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'GET /v1/inventory HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n',
      'POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc',
    ];
    for (const request of malformed) {
      const [response] = await raw(port, request);
      isProblem(t, response, 400);
    }
  });

  t.test('an unknown path: 404', async (t) => {
    const [response] = await raw(port, get('/nowhere', auth));
    isProblem(t, response, 404);
  });

  t.test('nothing was stored by any of these', async (t) => {
    t.equal(await store.headPosition(), before);
  });
});

t.test('a request arriving while the app closes: 503 problem, connection closed', async (t) => {
  const { app } = await testLedger(t, { app: { minPositionWaitMs: 1000 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const auth = `Authorization: ${bearer('viewer').authorization}\r\n`;
  let closed: Promise<void> | undefined;
  // The first request waits for a position the projections never reach; the second, pipelined on the
  // same connection, is read once the app is closing.
  const responses = await raw(
    port,
    [
      `GET /v1/inventory HTTP/1.1\r\nHost: x\r\n${auth}X-Min-Position: 999999\r\n\r\n`,
      `GET /v1/inventory HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
    ],
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      closed = app.close();
    },
  );
  await closed;
  t.equal(responses.length, 2, 'both requests answered');
  t.equal(responses[0]?.status, 200, 'the request in flight is finished');
  const problem = isProblem(t, responses[1], 503);
  t.match(problem?.detail, /shutting down/);
  t.equal(responses[1]?.headers.connection, 'close');
  t.equal(responses[1]?.headers['retry-after'], '1');
});
