/**
 * The work after the listen (src/in-turns.ts) runs a part of a step a turn of the event loop: a
 * request that came in meanwhile is answered between two parts, not after all of them.
 */
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import t from 'tap';
import { inTurns } from '../../src/in-turns.js';

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

t.test('a request that came in before the steps is answered between their parts, not after the last', async (t) => {
  const order: string[] = [];
  const server = http.createServer((_request, response) => {
    order.push('request');
    response.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  const answered = once(client, 'data');
  await once(client, 'connect');
  // The request's bytes are with the kernel, at the server's socket, before the steps begin.
  await new Promise<void>((written) => client.write('GET /ready HTTP/1.1\r\nHost: x\r\n\r\n', () => written()));
  busy(20);
  // Two steps: the first in three parts of 30 ms (it says "more" twice), the second in one.
  let parts = 0;
  const steps = [
    () => {
      order.push(`step ${++parts}`);
      busy(30);
      return parts < 3;
    },
    () => {
      order.push('step 4');
      busy(30);
    },
  ];
  await inTurns(steps, () => t.fail('no step throws'));
  await answered;
  client.destroy();
  t.same(
    order.filter((o) => o.startsWith('step')),
    ['step 1', 'step 2', 'step 3', 'step 4'],
    'the parts and steps run in order',
  );
  // Accepting the connection and reading the request may take the loop a turn each: before the last step.
  t.ok(order.indexOf('request') < order.indexOf('step 4'), `answered between steps: ${order.join(', ')}`);
});

t.test('a step that throws is reported with its number, and the steps after it still run', async (t) => {
  const ran: number[] = [];
  const failures: [string, number][] = [];
  await inTurns(
    [
      () => void ran.push(0),
      () => {
        throw new Error('broken');
      },
      () => void ran.push(2),
    ],
    (error, step) => failures.push([(error as Error).message, step]),
  );
  t.same(ran, [0, 2]);
  t.same(failures, [['broken', 1]]);
  await inTurns([], () => t.fail('nothing to run'));
  t.pass('no steps: done at once');
});
