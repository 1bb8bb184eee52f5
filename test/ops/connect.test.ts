/**
 * A start against a store that is down: tried again with backoff, each
 * failure reported, until the store answers or the connect timeout passes.
 */
import t from 'tap';
import { connectWithRetry } from '../../src/service.js';
import { StoreFault } from '../../src/store/faults.js';
import type { EventStore } from '../../src/store/port.js';

const down = () => new StoreFault('store-unavailable', 'connection refused');

t.test('a store that comes up is reached, after each failed attempt is reported', async (t) => {
  let calls = 0;
  const attempts: number[] = [];
  const store = {} as EventStore;
  const opened = await connectWithRetry(
    async () => {
      if (++calls < 3) throw down();
      return store;
    },
    10_000,
    (attempt) => attempts.push(attempt),
  );
  t.equal(opened, store);
  t.same(attempts, [1, 2], 'two failures reported, with their number');
});

t.test('a store that stays down is given up on after the timeout, with its fault', async (t) => {
  const started = Date.now();
  const error = await connectWithRetry(async () => Promise.reject(down()), 600).catch((e: unknown) => e);
  t.ok(error instanceof StoreFault && error.fault === 'store-unavailable');
  const took = Date.now() - started;
  t.ok(took >= 600 && took < 5000, `gave up after the timeout (${took} ms)`);
});

t.test('anything but an unreachable store is not retried', async (t) => {
  let calls = 0;
  const error = await connectWithRetry(async () => {
    calls++;
    throw new Error('the store file has layout 1');
  }, 10_000).catch((e: unknown) => e);
  t.match((error as Error).message, /layout 1/);
  t.equal(calls, 1);
});
